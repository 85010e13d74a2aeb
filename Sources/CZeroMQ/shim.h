#ifndef LOADSHAPE_CZEROMQ_SHIM_H
#define LOADSHAPE_CZEROMQ_SHIM_H
#include <errno.h>
#include <zmq.h>
#endif
