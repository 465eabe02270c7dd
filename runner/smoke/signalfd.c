/* signalfd under ksignal-run: creation flags, errors, reads of several records,
 * a mask update, a blocking read woken by another process, a blocking read
 * interrupted by a handler, an inherited descriptor in a child, a thread that
 * existed before the first signalfd reading one. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_alrm(int sig) { (void)sig; }

static int tfd;
static pthread_barrier_t ready;

/* A thread that existed before the process's first signalfd reads one. */
static void *reader(void *arg) {
  (void)arg;
  pthread_barrier_wait(&ready);
  struct signalfd_siginfo si;
  ssize_t n = read(tfd, &si, sizeof si);
  printf("thread read %zd: sig %s\n", n, si.ssi_signo == SIGUSR2 ? "USR2" : "?");
  return NULL;
}

int main(void) {
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigaddset(&m, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &m, NULL);
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t u2;
  sigemptyset(&u2);
  sigaddset(&u2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &u2, NULL);
  pthread_barrier_init(&ready, NULL, 2);
  pthread_t t;
  pthread_create(&t, NULL, reader, NULL);
  usleep(100000);

  tfd = signalfd(-1, &u2, 0);
  pthread_barrier_wait(&ready);
  usleep(200000);
  kill(getpid(), SIGUSR2);
  pthread_join(t, NULL);
  close(tfd);

  int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
  printf("created: %s, cloexec %d, nonblock %d\n", fd >= 0 ? "yes" : "no",
         !!(fcntl(fd, F_GETFD) & FD_CLOEXEC), !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
  struct signalfd_siginfo si[4];
  long r;
  r = read(fd, si, sizeof si);
  printf("empty read: %ld %s\n", r, strerror(errno));
  r = read(fd, si, 100);
  printf("short read: %ld %s\n", r, strerror(errno));
  r = syscall(SYS_signalfd4, -1, &m, 8, 1);
  printf("bad flags: %ld %s\n", r, strerror(errno));
  r = syscall(SYS_signalfd4, -1, &m, 4, 0);
  printf("bad size: %ld %s\n", r, strerror(errno));
  r = syscall(SYS_signalfd4, -1, (void *)8, 8, 0);
  printf("bad mask: %ld %s\n", r, strerror(errno));
  r = signalfd(1, &m, 0);
  printf("not a signalfd: %ld %s\n", r, strerror(errno));
  r = signalfd(99, &m, 0);
  printf("not open: %ld %s\n", r, strerror(errno));

  union sigval v = {.sival_int = 7};
  sigqueue(getpid(), SIGRTMIN, v);
  v.sival_int = 8;
  sigqueue(getpid(), SIGRTMIN, v);
  kill(getpid(), SIGUSR1);
  ssize_t n = read(fd, si, sizeof si);
  printf("read %zd bytes:", n);
  for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++)
    printf(" sig %s code %d int %d pid-ok %d;", si[i].ssi_signo == SIGUSR1 ? "USR1" : "RTMIN",
           si[i].ssi_code, si[i].ssi_int, si[i].ssi_pid == (unsigned)getpid());
  printf("\n");

  /* Mask update: now only SIGUSR2 (blocked too). */
  sigset_t m2;
  sigemptyset(&m2);
  sigaddset(&m2, SIGUSR2);
  sigprocmask(SIG_BLOCK, &m2, NULL);
  printf("update returns same fd: %d\n", signalfd(fd, &m2, 0) == fd);
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR2);
  n = read(fd, si, sizeof si);
  printf("after update read %zd: sig %d\n", n, n > 0 ? (int)si[0].ssi_signo : 0);
  sigset_t pend;
  sigpending(&pend);
  printf("USR1 still pending: %d\n", sigismember(&pend, SIGUSR1));
  sigwaitinfo(&m, NULL);

  /* A blocking signalfd in a child, woken by its parent. */
  int bfd = signalfd(-1, &m, 0);
  pid_t c = fork();
  if (c == 0) {
    n = read(bfd, si, sizeof si);
    printf("child read %zd: sig %s from parent %d\n", n, si[0].ssi_signo == SIGUSR1 ? "USR1" : "?",
           si[0].ssi_pid == (unsigned)getppid());
    _exit(0);
  }
  usleep(200000);
  kill(c, SIGUSR1);
  int st;
  waitpid(c, &st, 0);
  printf("child exit %d\n", WEXITSTATUS(st));

  /* A blocking read interrupted by a handler without SA_RESTART: EINTR. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alrm;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  n = read(bfd, si, sizeof si);
  printf("interrupted read: %zd %s\n", n, strerror(errno));
  close(bfd);
  close(fd);
  return 0;
}
