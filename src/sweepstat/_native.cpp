// The one C++ extension module of sweepstat (built by _native.py): the recurrent layers' time loops
// (models/_fused_cpu.cpp), the row-wise optimizers (engine/_sparse_cpu.cpp) and LeNet's convolution layers
// (models/_conv_cpu.cpp).
#include <torch/extension.h>

void register_recurrence(pybind11::module_& m);
void register_sparse_optimizers(pybind11::module_& m);
void register_conv(pybind11::module_& m);

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  register_recurrence(m);
  register_sparse_optimizers(m);
  register_conv(m);
}
