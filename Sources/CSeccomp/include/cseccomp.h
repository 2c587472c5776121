#ifndef CSECCOMP_H
#define CSECCOMP_H
/* libseccomp's syscall tables (names and numbers per architecture), for the
 * decoder only: the hooks never link it. */
#include <seccomp.h>
#endif
