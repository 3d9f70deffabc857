#ifndef CSPAWN_H
#define CSPAWN_H

// GNU extensions Swift's Glibc module does not import (it is built without _GNU_SOURCE).
// Declared here without the system headers, defined in spawn.c, which has _GNU_SOURCE.

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start. Returns 0 or -1 (errno set).
int cspawn_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np(actions, from): the child closes every descriptor
/// from `from` up. `actions` is a posix_spawn_file_actions_t *. Returns 0 or an errno value.
int cspawn_file_actions_addclosefrom(void *actions, int from);

#endif
