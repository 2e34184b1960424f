/*
 * dist-exec spawner, native: starts a worker's jobs, isolates them, and makes
 * sure nothing of a job outlives it.
 *
 * The same program as spawner.pl, speaking the same protocol (see
 * src/executors/spawner-protocol.ts), built from source when the worker is
 * installed where a C compiler is (scripts/build-spawner.mjs). A child is
 * started with clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: no page
 * table is copied, so a spawn costs a fraction of a fork. Before it execs,
 * the child joins the job's cgroups (so no process of the job ever runs
 * outside them), takes its rlimits and its user, and gets a session of its own.
 *
 * A job ends when its main process exits: whatever it left behind is killed
 * then (its process group, everything in its cgroup, and without a cgroup the
 * orphans that carry its marker in their environment: this process is a
 * child subreaper, so they become its children). When the worker goes away
 * (our stdin closes, or our stdout breaks), every job is killed before this
 * process exits: the master gives those jobs to other workers.
 *
 * Requests (worker -> spawner): u32 length, a1 kind, u32 id, then
 *   B (base env): u32 count, count NUL-terminated "k=v" strings
 *   K (kill): u32 signal
 *   S (start): u32 argc, envc, uid, gid, ngroups, ngroups x u32 group,
 *     u32 nlimits, nlimits x (u32 resource, u64 soft, u64 hard),
 *     u32 ndirs, nwrites, nreads, flags, then NUL-terminated strings: file,
 *     cwd, argv..., env..., cgroup dirs..., (path, value) per write, read
 *     paths..., marker; then stdin bytes. uid/gid 0xffffffff: keep ours.
 * Events (spawner -> worker): a1 type, u32 id, u32 length, data:
 *   S started (pid)   E could not start ("stage errno")   O stdout   R stderr
 *   X ended: "code signal cpu_us maxrss_kb clean" (code -1 when killed by a
 *     signal, signal 0 otherwise; clean 0 when processes of the job outlived
 *     the kill), then per read path a NUL and the file's content.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* 64 KiB frames, header included: the size of the worker's reads. */
#define HEADER 9
#define READ_CHUNK (65536 - HEADER)
#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define KEEP 0xffffffffu
#define FLAG_REMOVE 1
/* How long what a job left behind may take to die before its end is reported anyway. */
#define ENDING_MS 2000
/* While a job's leftovers die: how often to look again (and kill what appeared). */
#define TICK_MS 10
#define MAX_GROUPS 256
#define MAX_LIMITS 16

typedef struct job {
  uint32_t id;
  pid_t pid;
  int out, err, in; /* -1 once closed */
  char *stdin_data;
  size_t stdin_len, stdin_off;
  int status, reaped, ending;
  int empty; /* its cgroup was seen empty after the main process ended: nothing can enter it again */
  struct rusage usage;
  double deadline, next_tick;
  char **dirs, **reads;
  size_t ndirs, nreads;
  int remove;
  char *marker; /* "K=V" in the environment of the job's processes; NULL with a cgroup */
  struct job *next;
} job;

struct limit {
  uint32_t resource;
  struct rlimit value;
};

/* What the child needs between clone and exec: prepared by the parent, read in the child (shared memory). */
struct launch {
  const char *program, *cwd;
  char **argv, **envp;
  int in, out, err;
  int procs[8];
  size_t nprocs;
  uint32_t uid, gid;
  gid_t groups[MAX_GROUPS];
  size_t ngroups;
  struct limit limits[MAX_LIMITS];
  size_t nlimits;
  int error;
  const char *stage;
};

static job *jobs;
static char **base_env;
static size_t base_envc;
static int devnull;
static char *out;
static size_t out_len, out_cap;
static char *in;
static size_t in_len, in_cap;
static int worker_gone;
static char child_stack[256 * 1024] __attribute__((aligned(16)));
/* We live as long as the worker, which ends us by closing our stdin: a Ctrl-C or a TERM to its group is its to handle. */
static const int IGNORED[] = {SIGPIPE, SIGINT, SIGQUIT, SIGHUP, SIGTERM};

static void die(const char *what) {
  fprintf(stderr, "dist-exec spawner: %s: %s\n", what, strerror(errno));
  exit(2);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
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

static char *copy(const char *text) {
  char *duplicate = strdup(text);
  if (!duplicate) die("out of memory");
  return duplicate;
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
  if (worker_gone) return;
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
  while (at < out_len && !worker_gone) {
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
    worker_gone = 1; /* EPIPE: the worker is gone; its jobs are killed in the main loop */
  }
  out_len = 0;
}

static void nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
}

/* A whole small file (a cgroup's or /proc's) into a NUL-terminated buffer the caller frees; NULL if unreadable. */
static char *slurp(const char *path, size_t *length) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, used = 0;
  char *text = malloc(cap);
  if (!text) die("out of memory");
  for (;;) {
    if (used + 1 >= cap) text = grow(text, &cap, cap * 2);
    ssize_t n = read(fd, text + used, cap - used - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += (size_t)n;
  }
  close(fd);
  text[used] = '\0';
  if (length) *length = used;
  return text;
}

static int write_file(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, value, strlen(value));
  int error = n < 0 ? errno : 0;
  close(fd);
  return error;
}

static int is_live_main(pid_t pid) {
  for (job *j = jobs; j; j = j->next)
    if (j->pid == pid && !j->reaped) return 1;
  return 0;
}

/* Signals every process listed in a cgroup.procs file; the number signalled. */
static int signal_listed(const char *procs, int sig) {
  char *text = slurp(procs, NULL);
  if (!text) return 0;
  int count = 0;
  for (char *cursor = text; *cursor;) {
    char *end;
    long pid = strtol(cursor, &end, 10);
    if (end == cursor) break;
    if (pid > 0 && kill((pid_t)pid, sig) == 0) count++;
    cursor = end;
    while (*cursor == '\n') cursor++;
  }
  free(text);
  return count;
}

/* The children of `pid`, from /proc/<pid>/task/<tid>/children of each of its threads, into *list. */
static void children_of(pid_t pid, pid_t **list, size_t *count, size_t *cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *tasks = opendir(path);
  if (!tasks) return;
  struct dirent *task;
  while ((task = readdir(tasks))) {
    if (task->d_name[0] == '.') continue;
    char file[320];
    snprintf(file, sizeof file, "/proc/%d/task/%s/children", (int)pid, task->d_name);
    char *text = slurp(file, NULL);
    if (!text) continue;
    for (char *cursor = text; *cursor;) {
      char *end;
      long child = strtol(cursor, &end, 10);
      if (end == cursor) break;
      *list = grow(*list, cap, (*count + 1) * sizeof **list);
      (*list)[(*count)++] = (pid_t)child;
      cursor = end;
      while (*cursor == ' ') cursor++;
    }
    free(text);
  }
  closedir(tasks);
}

/* Whether the process's environment holds `marker` as a whole entry. */
static int carries(pid_t pid, const char *marker) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  size_t length;
  char *environ_text = slurp(path, &length);
  if (!environ_text) return 0;
  int found = 0;
  for (size_t at = 0; at < length && !found; at += strlen(environ_text + at) + 1)
    found = strcmp(environ_text + at, marker) == 0;
  free(environ_text);
  return found;
}

/* Signals `pid` and everything below it: children are listed before their parent dies and they move. */
static int signal_tree(pid_t pid, int sig, int depth) {
  pid_t *children = NULL;
  size_t count = 0, cap = 0;
  if (depth < 64) children_of(pid, &children, &count, &cap);
  int signalled = kill(pid, sig) == 0;
  for (size_t i = 0; i < count; i++) signalled += signal_tree(children[i], sig, depth + 1);
  free(children);
  return signalled;
}

/* Without a cgroup: the job's processes that left its group became our children (we are a subreaper). */
static int signal_orphans(const char *marker, int sig) {
  pid_t *children = NULL;
  size_t count = 0, cap = 0;
  children_of(getpid(), &children, &count, &cap);
  int signalled = 0;
  for (size_t i = 0; i < count; i++) {
    if (is_live_main(children[i]) || !carries(children[i], marker)) continue;
    signalled += signal_tree(children[i], sig, 0);
  }
  free(children);
  return signalled;
}

/*
 * Signals everything of the job: its process group (while its main process is
 * ours to reap: after that the number may be reused), its cgroup
 * (cgroup.kill where the kernel has it), its marked orphans.
 */
static int signal_job(job *j, int sig, int group) {
  int signalled = group ? kill(-j->pid, sig) == 0 : 0;
  if (j->ndirs && !j->empty) {
    char path[4200];
    /* cgroup v2 (one dir) kills a whole cgroup at once where the kernel has cgroup.kill (5.14). */
    if (sig == SIGKILL && j->ndirs == 1) {
      snprintf(path, sizeof path, "%s/cgroup.kill", j->dirs[0]);
      write_file(path, "1");
    }
    snprintf(path, sizeof path, "%s/cgroup.procs", j->dirs[0]);
    int listed = signal_listed(path, sig);
    signalled += listed;
    if (listed == 0 && j->reaped) j->empty = 1;
  } else if (j->marker) {
    signalled += signal_orphans(j->marker, sig);
  }
  return signalled;
}

static int cgroup_empty(job *j) {
  if (!j->ndirs || j->empty) return 1;
  char path[4200];
  snprintf(path, sizeof path, "%s/cgroup.procs", j->dirs[0]);
  char *text = slurp(path, NULL);
  int empty = !text || text[0] == '\0';
  free(text);
  if (empty && j->reaped) j->empty = 1;
  return empty;
}

static void close_fd(int *fd) {
  if (*fd < 0) return;
  close(*fd);
  *fd = -1;
}

static void close_stdin(job *j) {
  close_fd(&j->in);
  free(j->stdin_data);
  j->stdin_data = NULL;
}

/* Reports the end (with what the job used and the files asked for), removes its cgroups, forgets it. */
static void finish(job *j, int clean) {
  close_stdin(j);
  close_fd(&j->out);
  close_fd(&j->err);
  char head[128];
  int code = WIFSIGNALED(j->status) ? -1 : WEXITSTATUS(j->status);
  int sig = WIFSIGNALED(j->status) ? WTERMSIG(j->status) : 0;
  unsigned long long cpu_us = (unsigned long long)j->usage.ru_utime.tv_sec * 1000000ULL + j->usage.ru_utime.tv_usec +
                              (unsigned long long)j->usage.ru_stime.tv_sec * 1000000ULL + j->usage.ru_stime.tv_usec;
  int head_len = snprintf(head, sizeof head, "%d %d %llu %ld %d", code, sig, cpu_us, j->usage.ru_maxrss, clean);
  size_t cap = 0, length = (size_t)head_len;
  char *body = grow(NULL, &cap, length + 1);
  memcpy(body, head, length);
  for (size_t i = 0; i < j->nreads; i++) {
    size_t got = 0;
    char *text = slurp(j->reads[i], &got);
    body = grow(body, &cap, length + 1 + got + 1);
    body[length++] = '\0';
    if (text) memcpy(body + length, text, got);
    length += got;
    free(text);
  }
  event('X', j->id, body, length);
  free(body);
  for (size_t i = 0; i < j->ndirs; i++) {
    if (j->remove) rmdir(j->dirs[i]); /* EBUSY (something outlived the kill): the next sweep removes it */
    free(j->dirs[i]);
  }
  for (size_t i = 0; i < j->nreads; i++) free(j->reads[i]);
  free(j->dirs);
  free(j->reads);
  free(j->marker);
  for (job **link = &jobs; *link; link = &(*link)->next) {
    if (*link == j) {
      *link = j->next;
      break;
    }
  }
  free(j);
}

/* Ends the job once its main process was reaped, its pipes closed and its cgroup emptied, or the deadline passed. */
static void maybe_done(job *j) {
  if (!j->reaped) return;
  if (j->out < 0 && j->err < 0 && cgroup_empty(j)) {
    finish(j, 1);
    return;
  }
  if (now_ms() >= j->deadline) finish(j, cgroup_empty(j));
}

/* The main process exited (or the worker is gone): kill what is left of the job and wait for it to die. */
static void begin_ending(job *j) {
  if (!j->ending) {
    j->ending = 1;
    j->deadline = now_ms() + ENDING_MS;
  }
  j->next_tick = now_ms() + TICK_MS;
  signal_job(j, SIGKILL, 1);
}

/* While the leftovers of an ended job die: kill, every tick, what appeared since (a fork racing the kill). */
static void tick(job *j) {
  double now = now_ms();
  if (now < j->next_tick) return;
  j->next_tick = now + TICK_MS;
  signal_job(j, SIGKILL, !j->reaped);
}

static void reap(void) {
  int status;
  struct rusage usage;
  pid_t pid;
  while ((pid = wait4(-1, &status, WNOHANG, &usage)) > 0) {
    for (job *j = jobs; j; j = j->next) {
      if (j->pid != pid || j->reaped) continue;
      j->status = status;
      j->usage = usage;
      j->reaped = 1;
      begin_ending(j);
      maybe_done(j);
      break;
    }
    /* Anyone else was an orphan of a job, adopted by us as its subreaper: reaped so it leaves no zombie. */
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

/* Runs in the child, on child_stack, in our memory until it execs: system calls only. */
static int child_main(void *argument) {
  struct launch *l = argument;
  for (size_t i = 0; i < l->nprocs; i++) {
    if (write(l->procs[i], "0", 1) < 0) {
      l->error = errno;
      l->stage = "cgroup";
      _exit(127);
    }
  }
  setsid();
  dup2(l->in, 0);
  dup2(l->out, 1);
  dup2(l->err, 2);
  for (size_t i = 0; i < l->nlimits; i++) {
    if (setrlimit((int)l->limits[i].resource, &l->limits[i].value) != 0) {
      l->error = errno;
      l->stage = "rlimit";
      _exit(127);
    }
  }
  if (l->uid != KEEP) {
    if (setgroups(l->ngroups, l->groups) != 0 || setgid(l->gid) != 0 || setuid(l->uid) != 0) {
      l->error = errno;
      l->stage = "user";
      _exit(127);
    }
  }
  if (*l->cwd && chdir(l->cwd) != 0) {
    l->error = errno;
    l->stage = "cwd";
    _exit(127);
  }
  /* Ignored signals stay ignored across exec: the job gets the defaults. */
  for (size_t i = 0; i < sizeof IGNORED / sizeof *IGNORED; i++) signal(IGNORED[i], SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execve(l->program, l->argv, l->envp);
  l->error = errno;
  l->stage = "exec";
  _exit(127);
}

/* Creates the job's cgroups, writes their limits, opens their cgroup.procs for the child: 0, or an errno. */
static int prepare_cgroups(char **dirs, size_t ndirs, char **writes, size_t nwrites, struct launch *l) {
  for (size_t i = 0; i < ndirs; i++) {
    if (mkdir(dirs[i], 0755) == 0 || errno == EEXIST) continue;
    /* The worker's own dir went away (removed under it): make it again, once. */
    char *slash = strrchr(dirs[i], '/');
    if (errno != ENOENT || !slash || slash == dirs[i]) return errno;
    *slash = '\0';
    int made = mkdir(dirs[i], 0755) == 0 || errno == EEXIST;
    *slash = '/';
    if (!made || (mkdir(dirs[i], 0755) != 0 && errno != EEXIST)) return errno;
  }
  for (size_t i = 0; i < nwrites; i++) {
    int error = write_file(writes[2 * i], writes[2 * i + 1]);
    if (error) return error;
  }
  for (size_t i = 0; i < ndirs && i < sizeof l->procs / sizeof *l->procs; i++) {
    char path[4200];
    snprintf(path, sizeof path, "%s/cgroup.procs", dirs[i]);
    l->procs[i] = open(path, O_WRONLY | O_CLOEXEC);
    if (l->procs[i] < 0) return errno;
    l->nprocs = i + 1;
  }
  return 0;
}

static void remove_dirs(char **dirs, size_t ndirs) {
  for (size_t i = 0; i < ndirs; i++) rmdir(dirs[i]);
}

struct start_request {
  uint32_t id;
  const char *file, *cwd;
  char **argv, **env, **dirs, **writes, **reads;
  size_t envc, ndirs, nwrites, nreads;
  uint32_t flags;
  const char *marker;
  const char *stdin_data;
  size_t stdin_len;
};

static void start(struct start_request *r, struct launch *l) {
  if (*r->cwd && l->uid == KEEP) {
    struct stat st;
    int error = stat(r->cwd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    if (error) {
      failed(r->id, "cwd", error);
      return;
    }
  }
  /* The job's environment: ours from the B request, with the job's laid over it. */
  char **envp = malloc((base_envc + r->envc + 1) * sizeof *envp);
  if (!envp) die("out of memory");
  size_t n = 0;
  for (size_t i = 0; i < base_envc; i++) {
    const char *eq = strchr(base_env[i], '=');
    if (!lookup(r->env, r->envc, base_env[i], (size_t)(eq - base_env[i]))) envp[n++] = base_env[i];
  }
  for (size_t i = 0; i < r->envc; i++) envp[n++] = r->env[i];
  envp[n] = NULL;
  const char *path = lookup(envp, n, "PATH", 4);
  char program[4096];
  int error = resolve(r->file, path ? path : DEFAULT_PATH, program, sizeof program);
  if (error) {
    free(envp);
    failed(r->id, "exec", error);
    return;
  }
  l->program = program;
  l->cwd = r->cwd;
  l->argv = r->argv;
  l->envp = envp;
  l->nprocs = 0;
  error = prepare_cgroups(r->dirs, r->ndirs, r->writes, r->nwrites, l);
  if (error) {
    for (size_t i = 0; i < l->nprocs; i++) close(l->procs[i]);
    if (r->flags & FLAG_REMOVE) remove_dirs(r->dirs, r->ndirs);
    free(envp);
    failed(r->id, "cgroup", error);
    return;
  }

  int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1}, in_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0 ||
      (r->stdin_len && pipe2(in_pipe, O_CLOEXEC) < 0)) {
    int saved = errno;
    int *opened[] = {out_pipe, err_pipe, in_pipe};
    for (size_t i = 0; i < 3; i++) {
      close_fd(&opened[i][0]);
      close_fd(&opened[i][1]);
    }
    for (size_t i = 0; i < l->nprocs; i++) close(l->procs[i]);
    if (r->flags & FLAG_REMOVE) remove_dirs(r->dirs, r->ndirs);
    free(envp);
    failed(r->id, "pipe", saved);
    return;
  }
  l->in = r->stdin_len ? in_pipe[0] : devnull;
  l->out = out_pipe[1];
  l->err = err_pipe[1];
  l->error = 0;
  l->stage = "exec";
  /* No signal may run a handler on the child's stack while it shares our memory. */
  sigset_t all, saved_mask;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &saved_mask);
  pid_t pid = clone(child_main, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, l);
  int clone_error = pid < 0 ? errno : 0;
  sigprocmask(SIG_SETMASK, &saved_mask, NULL);
  free(envp);
  for (size_t i = 0; i < l->nprocs; i++) close(l->procs[i]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (r->stdin_len) close(in_pipe[0]);
  if (pid < 0 || l->error) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    if (r->stdin_len) close(in_pipe[1]);
    if (pid > 0) waitpid(pid, NULL, 0);
    if (r->flags & FLAG_REMOVE) remove_dirs(r->dirs, r->ndirs);
    failed(r->id, pid < 0 ? "fork" : l->stage, pid < 0 ? clone_error : l->error);
    return;
  }
  job *j = calloc(1, sizeof *j);
  if (!j) die("out of memory");
  j->id = r->id;
  j->pid = pid;
  j->out = out_pipe[0];
  j->err = err_pipe[0];
  j->in = -1;
  nonblocking(j->out);
  nonblocking(j->err);
  if (r->stdin_len) {
    j->in = in_pipe[1];
    nonblocking(j->in);
    j->stdin_data = malloc(r->stdin_len);
    if (!j->stdin_data) die("out of memory");
    memcpy(j->stdin_data, r->stdin_data, r->stdin_len);
    j->stdin_len = r->stdin_len;
  }
  j->ndirs = r->ndirs;
  j->dirs = calloc(r->ndirs + 1, sizeof *j->dirs);
  j->nreads = r->nreads;
  j->reads = calloc(r->nreads + 1, sizeof *j->reads);
  if (!j->dirs || !j->reads) die("out of memory");
  for (size_t i = 0; i < r->ndirs; i++) j->dirs[i] = copy(r->dirs[i]);
  for (size_t i = 0; i < r->nreads; i++) j->reads[i] = copy(r->reads[i]);
  j->remove = (r->flags & FLAG_REMOVE) != 0;
  j->marker = *r->marker && !r->ndirs ? copy(r->marker) : NULL;
  j->next = jobs;
  jobs = j;
  char text[16];
  snprintf(text, sizeof text, "%d", (int)pid);
  event_text('S', r->id, text);
}

static void set_base_env(char **strings, size_t count) {
  for (size_t i = 0; i < base_envc; i++) free(base_env[i]);
  free(base_env);
  base_env = malloc((count + 1) * sizeof *base_env);
  if (!base_env) die("out of memory");
  for (size_t i = 0; i < count; i++) base_env[i] = copy(strings[i]);
  base_envc = count;
}

static void malformed(void) {
  fprintf(stderr, "dist-exec spawner: malformed request from the worker\n");
  exit(2);
}

/* Reads a frame's fields in order, failing on a frame that ends early. */
struct cursor {
  const char *at, *end;
};

static uint32_t take_u32(struct cursor *c) {
  if (c->end - c->at < 4) malformed();
  uint32_t value = get_u32(c->at);
  c->at += 4;
  return value;
}

static rlim_t take_u64(struct cursor *c) {
  uint64_t high = take_u32(c);
  uint64_t value = high << 32 | take_u32(c);
  return value == UINT64_MAX ? RLIM_INFINITY : (rlim_t)value;
}

/* `count` NUL-terminated strings from the frame (pointers into it). */
static char **take_strings(struct cursor *c, size_t count) {
  char **strings = malloc((count + 1) * sizeof *strings);
  if (!strings) die("out of memory");
  for (size_t i = 0; i < count; i++) {
    const char *nul = memchr(c->at, '\0', (size_t)(c->end - c->at));
    if (!nul) malformed();
    strings[i] = (char *)c->at;
    c->at = nul + 1;
  }
  strings[count] = NULL;
  return strings;
}

static void request_start(uint32_t id, struct cursor *c) {
  static struct launch l;
  struct start_request r = {.id = id};
  size_t argc = take_u32(c);
  r.envc = take_u32(c);
  l.uid = take_u32(c);
  l.gid = take_u32(c);
  l.ngroups = take_u32(c);
  if (l.ngroups > MAX_GROUPS) malformed();
  for (size_t i = 0; i < l.ngroups; i++) l.groups[i] = take_u32(c);
  l.nlimits = take_u32(c);
  if (l.nlimits > MAX_LIMITS) malformed();
  for (size_t i = 0; i < l.nlimits; i++) {
    l.limits[i].resource = take_u32(c);
    l.limits[i].value.rlim_cur = take_u64(c);
    l.limits[i].value.rlim_max = take_u64(c);
  }
  r.ndirs = take_u32(c);
  r.nwrites = take_u32(c);
  r.nreads = take_u32(c);
  r.flags = take_u32(c);
  if (r.ndirs > 8 || r.nwrites > 64 || r.nreads > 64 || argc + r.envc > (size_t)(c->end - c->at)) malformed();
  char **head = take_strings(c, 2);
  r.file = head[0];
  r.cwd = head[1];
  r.argv = take_strings(c, argc);
  r.env = take_strings(c, r.envc);
  r.dirs = take_strings(c, r.ndirs);
  r.writes = take_strings(c, 2 * r.nwrites);
  r.reads = take_strings(c, r.nreads);
  char **marker = take_strings(c, 1);
  r.marker = marker[0];
  r.stdin_data = c->at;
  r.stdin_len = (size_t)(c->end - c->at);
  start(&r, &l);
  free(head);
  free(r.argv);
  free(r.env);
  free(r.dirs);
  free(r.writes);
  free(r.reads);
  free(marker);
}

static void read_requests(void) {
  size_t at = 0;
  while (in_len - at >= 4) {
    uint32_t length = get_u32(in + at);
    if (in_len - at - 4 < length) break;
    struct cursor c = {.at = in + at + 4, .end = in + at + 4 + length};
    at += 4 + (size_t)length;
    if (length < 5) malformed();
    char kind = *c.at++;
    uint32_t id = take_u32(&c);
    if (kind == 'B') {
      size_t count = take_u32(&c);
      if (count > (size_t)(c.end - c.at)) malformed();
      char **strings = take_strings(&c, count);
      set_base_env(strings, count);
      free(strings);
    } else if (kind == 'K') {
      int sig = (int)take_u32(&c);
      for (job *j = jobs; j; j = j->next) {
        if (j->id != id) continue;
        if (sig == SIGKILL) begin_ending(j);
        else signal_job(j, sig, !j->reaped);
        break;
      }
    } else if (kind == 'S') {
      request_start(id, &c);
    } else {
      malformed();
    }
  }
  memmove(in, in + at, in_len - at);
  in_len -= at;
}

/* The worker is gone: kill every job, wait (a little) for them to die and be reaped, remove their cgroups, exit. */
static void shut_down(int signals) {
  worker_gone = 1;
  for (job *j = jobs; j; j = j->next) begin_ending(j);
  double deadline = now_ms() + ENDING_MS + 500;
  static char chunk[READ_CHUNK];
  while (jobs && now_ms() < deadline) {
    struct pollfd ready = {.fd = signals, .events = POLLIN};
    poll(&ready, 1, TICK_MS);
    struct signalfd_siginfo info;
    while (read(signals, &info, sizeof info) > 0) {}
    reap();
    job *next;
    for (job *j = jobs; j; j = next) {
      next = j->next;
      /* Nobody reads the output any more: drain the pipes so nothing blocks on them. */
      int *pipes[] = {&j->out, &j->err};
      for (int i = 0; i < 2; i++) {
        if (*pipes[i] < 0) continue;
        ssize_t got;
        while ((got = read(*pipes[i], chunk, sizeof chunk)) > 0) {}
        if (got == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(pipes[i]);
      }
      tick(j);
      maybe_done(j);
    }
  }
  exit(0);
}

int main(void) {
  for (size_t i = 0; i < sizeof IGNORED / sizeof *IGNORED; i++) signal(IGNORED[i], SIG_IGN);
  devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) die("/dev/null");
  /* Orphans of jobs become our children, so they are reaped and can be found and killed. */
  prctl(PR_SET_CHILD_SUBREAPER, 1);
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
    if (worker_gone) shut_down(signals);
    size_t count = 2;
    int ending = 0;
    for (job *j = jobs; j; j = j->next) {
      count += 3;
      ending |= j->reaped;
    }
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
    if (poll(fds, n, ending ? TICK_MS : -1) < 0) {
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
        if (got > 0) event(stream == 0 ? 'O' : 'R', j->id, chunk, (size_t)got);
        else if (got == 0 || (errno != EAGAIN && errno != EINTR)) close_fd(fd);
      }
      if (j->in >= 0 && mine[2].revents) {
        ssize_t wrote = write(j->in, j->stdin_data + j->stdin_off, j->stdin_len - j->stdin_off);
        if (wrote < 0 && errno != EAGAIN && errno != EINTR) close_stdin(j); /* EPIPE: the job does not read its input */
        else if (wrote > 0 && (j->stdin_off += (size_t)wrote) == j->stdin_len) close_stdin(j);
      }
      if (j->reaped) tick(j);
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
        shut_down(signals); /* the worker is gone */
      }
      if (got > 0) {
        in_len += (size_t)got;
        read_requests();
      } else if (got < 0 && errno != EAGAIN && errno != EINTR) {
        die("read");
      }
    }
    flush_out();
  }
}
