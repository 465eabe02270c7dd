/* Job-control stop signals to an orphaned process group are discarded (Linux's
 * is_current_pgrp_orphaned): a child that made itself a new session (so its
 * parent is in another session) ignores SIGTSTP, SIGTTIN and SIGTTOU sent with
 * the default action, while SIGSTOP still stops it. Its parent's process group
 * is not orphaned (the parent's own parent is in another group of the same
 * session), so there SIGTSTP stops, as the parent shows with a child that stays
 * in its group. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *who, pid_t c) {
  int st;
  waitpid(c, &st, WUNTRACED);
  if (WIFSTOPPED(st)) {
    printf("%s: stopped by %d\n", who, WSTOPSIG(st));
    kill(c, SIGCONT);
    waitpid(c, &st, 0);
  }
  printf("%s: exit %d\n", who, WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t c = fork();
  if (c == 0) {
    setsid();
    raise(SIGTSTP);
    raise(SIGTTIN);
    raise(SIGTTOU);
    printf("orphaned child: TSTP, TTIN, TTOU discarded\n");
    raise(SIGSTOP);
    printf("orphaned child: continued after SIGSTOP\n");
    _exit(3);
  }
  report("orphaned child", c);
  c = fork();
  if (c == 0) {
    raise(SIGTSTP);
    printf("child in the parent's group: continued after SIGTSTP\n");
    _exit(4);
  }
  report("child in the parent's group", c);
  return 0;
}
