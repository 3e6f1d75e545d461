#ifndef HPCS_CSODIUM_SHIM_H
#define HPCS_CSODIUM_SHIM_H
#include <sodium.h>
#endif
