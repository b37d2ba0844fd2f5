/*
 * lib/banned.h - turns the unbounded C string calls into compile errors.
 *
 * Include it last, after system headers, in every .c file of the project:
 * the checked helpers of lib/str.h and lib/buf.h are the only way to build
 * strings.
 */
#ifndef LIB_BANNED_H
#define LIB_BANNED_H

#pragma GCC poison sprintf vsprintf strcpy strcat strncpy strtok gets atoi

#endif
