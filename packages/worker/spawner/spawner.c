/*
 * dist-exec spawner, native: starts a worker's jobs with posix_spawn.
 *
 * The same program as spawner.pl, speaking the same protocol (see there and
 * src/executors/spawner-protocol.ts), built from source when the worker is
 * installed where a C compiler is (scripts/build-spawner.mjs). posix_spawn
 * starts a child in the parent's memory until it execs (vfork), so no page
 * table is copied and no page is copied on write: about 0.4 ms of CPU less
 * per job than perl's fork on a 2-core machine, a third of a `sh -c true`.
 *
 * Requests (worker -> spawner): u32 length, u32 id, u32 argc, u32 envc, then
 * argc + envc + 2 NUL-terminated strings (file, cwd, argv..., env "k=v"...),
 * then stdin bytes. Request id 0 carries the environment every job starts from.
 * Events (spawner -> worker): a1 type, u32 id, u32 length, data:
 *   S started (pid)   E could not start ("stage errno")   O stdout   R stderr
 *   X ended ("code signal": code -1 when killed by a signal, signal 0 otherwise)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* 64 KiB frames, header included: the size of the worker's reads. */
#define HEADER 9
#define READ_CHUNK (65536 - HEADER)
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

typedef struct job {
  uint32_t id;
  pid_t pid;
  int out, err, in; /* -1 once closed */
  char *stdin_data;
  size_t stdin_len, stdin_off;
  int status, reaped;
  struct job *next;
} job;

static job *jobs;
static char **base_env;
static size_t base_envc;
static int devnull;
static char *out;
static size_t out_len, out_cap;
static char *in;
static size_t in_len, in_cap;

static void die(const char *what) {
  fprintf(stderr, "dist-exec spawner: %s: %s\n", what, strerror(errno));
  exit(2);
}

static void *grow(void *buffer, size_t *cap, size_t need) {
  if (need <= *cap) return buffer;
  size_t next = *cap ? *cap : 65536;
  while (next < need) next *= 2;
  void *bigger = realloc(buffer, next);
  if (!bigger) die("out of memory");
  *cap = next;
  return bigger;
}

static void put_u32(char *at, uint32_t value) {
  at[0] = (char)(value >> 24);
  at[1] = (char)(value >> 16);
  at[2] = (char)(value >> 8);
  at[3] = (char)value;
}

static uint32_t get_u32(const char *at) {
  const unsigned char *u = (const unsigned char *)at;
  return ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) | u[3];
}

static void event(char type, uint32_t id, const char *data, size_t length) {
  out = grow(out, &out_cap, out_len + HEADER + length);
  out[out_len] = type;
  put_u32(out + out_len + 1, id);
  put_u32(out + out_len + 5, (uint32_t)length);
  memcpy(out + out_len + HEADER, data, length);
  out_len += HEADER + length;
}

static void event_text(char type, uint32_t id, const char *text) {
  event(type, id, text, strlen(text));
}

static void flush_out(void) {
  size_t at = 0;
  while (at < out_len) {
    ssize_t n = write(1, out + at, out_len - at);
    if (n >= 0) {
      at += (size_t)n;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      struct pollfd writable = {.fd = 1, .events = POLLOUT};
      poll(&writable, 1, -1);
      continue;
    }
    exit(0); /* the worker is gone */
  }
  out_len = 0;
}

static void nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
}

static void close_stdin(job *j) {
  if (j->in < 0) return;
  close(j->in);
  j->in = -1;
  free(j->stdin_data);
  j->stdin_data = NULL;
}

static void maybe_done(job *j) {
  if (j->out >= 0 || j->err >= 0 || !j->reaped) return;
  close_stdin(j);
  char text[32];
  if (WIFSIGNALED(j->status)) snprintf(text, sizeof text, "-1 %d", WTERMSIG(j->status));
  else snprintf(text, sizeof text, "%d 0", WEXITSTATUS(j->status));
  event_text('X', j->id, text);
  for (job **link = &jobs; *link; link = &(*link)->next) {
    if (*link == j) {
      *link = j->next;
      break;
    }
  }
  free(j);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (job *j = jobs; j; j = j->next) {
      if (j->pid != pid || j->reaped) continue;
      j->status = status;
      j->reaped = 1;
      /* Whatever the job left running in its group would keep the pipes open and outlive it. */
      kill(-pid, SIGKILL);
      maybe_done(j);
      break;
    }
  }
}

/* The value of `name` in a "k=v" list, or NULL. */
static const char *lookup(char *const *env, size_t count, const char *name, size_t name_len) {
  for (size_t i = 0; i < count; i++) {
    if (strncmp(env[i], name, name_len) == 0 && env[i][name_len] == '=') return env[i] + name_len + 1;
  }
  return NULL;
}

/* execvp's search, in the job's PATH (not ours): 0 and the program's path, or an errno. */
static int resolve(const char *file, const char *path, char *found, size_t size) {
  if (strchr(file, '/')) {
    snprintf(found, size, "%s", file);
    return 0;
  }
  int error = ENOENT;
  for (const char *dir = path; *dir;) {
    const char *end = strchr(dir, ':');
    size_t length = end ? (size_t)(end - dir) : strlen(dir);
    snprintf(found, size, "%.*s%s%s", (int)length, dir, length ? "/" : "", file);
    if (access(found, X_OK) == 0) return 0;
    if (errno == EACCES) error = EACCES;
    if (!end) break;
    dir = end + 1;
  }
  return error;
}

static void failed(uint32_t id, const char *stage, int error) {
  char text[64];
  snprintf(text, sizeof text, "%s %d", stage, error);
  event_text('E', id, text);
}

static void start(uint32_t id, const char *file, const char *cwd, char **argv, char **env, size_t envc, const char *stdin_data, size_t stdin_len) {
  if (*cwd) {
    struct stat st;
    int error = stat(cwd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (error) {
      failed(id, "cwd", error);
      return;
    }
  }
  /* The job's environment: ours from request 0, with the job's laid over it. */
  char **envp = malloc((base_envc + envc + 1) * sizeof *envp);
  if (!envp) die("out of memory");
  size_t n = 0;
  for (size_t i = 0; i < base_envc; i++) {
    const char *eq = strchr(base_env[i], '=');
    if (!lookup(env, envc, base_env[i], (size_t)(eq - base_env[i]))) envp[n++] = base_env[i];
  }
  for (size_t i = 0; i < envc; i++) envp[n++] = env[i];
  envp[n] = NULL;
  const char *path = lookup(envp, n, "PATH", 4);
  char program[4096];
  int error = resolve(file, path ? path : DEFAULT_PATH, program, sizeof program);
  if (error) {
    free(envp);
    failed(id, "exec", error);
    return;
  }

  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0 || (stdin_len && pipe2(in_pipe, O_CLOEXEC) < 0)) {
    int saved = errno;
    int *opened[] = {out_pipe, err_pipe, in_pipe};
    for (size_t i = 0; i < 3; i++) {
      if (opened[i][0] >= 0) close(opened[i][0]);
      if (opened[i][1] >= 0) close(opened[i][1]);
    }
    free(envp);
    failed(id, "pipe", saved);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_len ? in_pipe[0] : devnull, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  if (*cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd);
  /* A session of its own (the worker signals its group), all signals unblocked and default. */
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  int reset[] = {SIGPIPE, SIGCHLD, SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof reset / sizeof *reset; i++) sigaddset(&defaults, reset[i]);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid;
  error = posix_spawn(&pid, program, &actions, &attributes, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  free(envp);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (stdin_len) close(in_pipe[0]);
  if (error) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (stdin_len) close(in_pipe[1]);
    /* A cwd we may not enter fails the spawn as a whole: say which part failed. */
    failed(id, *cwd && access(cwd, X_OK) != 0 ? "cwd" : "exec", error);
    return;
  }
  job *j = calloc(1, sizeof *j);
  if (!j) die("out of memory");
  j->id = id;
  j->pid = pid;
  j->out = out_pipe[0];
  j->err = err_pipe[0];
  j->in = -1;
  nonblocking(j->out);
  nonblocking(j->err);
  if (stdin_len) {
    j->in = in_pipe[1];
    nonblocking(j->in);
    j->stdin_data = malloc(stdin_len);
    if (!j->stdin_data) die("out of memory");
    memcpy(j->stdin_data, stdin_data, stdin_len);
    j->stdin_len = stdin_len;
  }
  j->next = jobs;
  jobs = j;
  char text[16];
  snprintf(text, sizeof text, "%d", (int)pid);
  event_text('S', id, text);
}

static void set_base_env(char **strings, size_t count) {
  for (size_t i = 0; i < base_envc; i++) free(base_env[i]);
  free(base_env);
  base_env = malloc((count + 1) * sizeof *base_env);
  if (!base_env) die("out of memory");
  for (size_t i = 0; i < count; i++) {
    base_env[i] = strdup(strings[i]);
    if (!base_env[i]) die("out of memory");
  }
  base_envc = count;
}

static void malformed(void) {
  fprintf(stderr, "dist-exec spawner: malformed request from the worker\n");
  exit(2);
}

static void read_requests(void) {
  size_t at = 0;
  while (in_len - at >= 4) {
    uint32_t length = get_u32(in + at);
    if (in_len - at - 4 < length) break;
    char *frame = in + at + 4;
    at += 4 + (size_t)length;
    if (length < 12) malformed();
    uint32_t id = get_u32(frame), argc = get_u32(frame + 4), envc = get_u32(frame + 8);
    size_t count = (size_t)argc + envc + 2;
    if (count > length) malformed();
    char **strings = malloc((count + 1) * sizeof *strings);
    if (!strings) die("out of memory");
    char *cursor = frame + 12, *end = frame + length;
    for (size_t i = 0; i < count; i++) {
      char *nul = memchr(cursor, '\0', (size_t)(end - cursor));
      if (!nul) malformed();
      strings[i] = cursor;
      cursor = nul + 1;
    }
    char **argv = strings + 2;
    char **env = argv + argc;
    if (id == 0) {
      set_base_env(env, envc);
    } else {
      /* argv ends where env begins: NULL-terminate a copy of the pointers. */
      char **args = malloc((argc + 1) * sizeof *args);
      if (!args) die("out of memory");
      memcpy(args, argv, argc * sizeof *args);
      args[argc] = NULL;
      start(id, strings[0], strings[1], args, env, envc, cursor, (size_t)(end - cursor));
      free(args);
    }
    free(strings);
  }
  memmove(in, in + at, in_len - at);
  in_len -= at;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) die("/dev/null");
  /* A child's exit is read from a signalfd that poll() watches. */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0) die("sigprocmask");
  int signals = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signals < 0) die("signalfd");
  static char chunk[READ_CHUNK];
  struct pollfd *fds = NULL;
  size_t fds_cap = 0;
  for (;;) {
    size_t count = 2;
    for (job *j = jobs; j; j = j->next) count += 3;
    fds = grow(fds, &fds_cap, count * sizeof *fds);
    fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = signals, .events = POLLIN};
    size_t n = 2;
    for (job *j = jobs; j; j = j->next) {
      /* A negative fd is skipped by poll(). */
      fds[n++] = (struct pollfd){.fd = j->out, .events = POLLIN};
      fds[n++] = (struct pollfd){.fd = j->err, .events = POLLIN};
      fds[n++] = (struct pollfd){.fd = j->in, .events = POLLOUT};
    }
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    /* Jobs are walked in the order their fds were listed; maybe_done may free the one at hand. */
    size_t at = 2;
    job *next;
    for (job *j = jobs; j; j = next) {
      next = j->next;
      struct pollfd *mine = fds + at;
      at += 3;
      for (int stream = 0; stream < 2; stream++) {
        int *fd = stream == 0 ? &j->out : &j->err;
        if (*fd < 0 || !mine[stream].revents) continue;
        ssize_t got = read(*fd, chunk, sizeof chunk);
        if (got > 0) {
          event(stream == 0 ? 'O' : 'R', j->id, chunk, (size_t)got);
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          close(*fd);
          *fd = -1;
        }
      }
      if (j->in >= 0 && mine[2].revents) {
        ssize_t wrote = write(j->in, j->stdin_data + j->stdin_off, j->stdin_len - j->stdin_off);
        if (wrote < 0 && errno != EAGAIN && errno != EINTR) close_stdin(j); /* EPIPE: the job does not read its input */
        else if (wrote > 0 && (j->stdin_off += (size_t)wrote) == j->stdin_len) close_stdin(j);
      }
      maybe_done(j);
    }
    if (fds[1].revents) {
      struct signalfd_siginfo info;
      while (read(signals, &info, sizeof info) > 0) {}
      reap();
    }
    if (fds[0].revents) {
      in = grow(in, &in_cap, in_len + 262144);
      ssize_t got = read(0, in + in_len, 262144);
      if (got == 0) {
        flush_out();
        return 0; /* the worker is gone; running jobs go on in their groups */
      }
      if (got > 0) {
        in_len += (size_t)got;
        read_requests();
      } else if (errno != EAGAIN && errno != EINTR) {
        die("read");
      }
    }
    flush_out();
  }
}
