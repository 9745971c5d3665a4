from sweepstat.cli import main

main()
