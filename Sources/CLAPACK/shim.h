#ifndef LEADSCORE_CLAPACK_SHIM_H
#define LEADSCORE_CLAPACK_SHIM_H
#include <cblas.h>
#include <lapacke.h>
#endif
