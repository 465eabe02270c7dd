/* ksignal-run smoke case: SIGCHLD SIG_IGN and SA_NOCLDWAIT still auto-reap (mirrored to the host). */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
static void h(int s) {}
int main(void) {
    signal(SIGCHLD, SIG_IGN);
    if (fork() == 0) _exit(3);
    int st; int r = wait(&st);
    printf("SIG_IGN: wait=%d errno=%s\n", r, strerror(errno));
    struct sigaction sa = {0}; sa.sa_handler = h; sa.sa_flags = SA_NOCLDWAIT; sigaction(SIGCHLD, &sa, 0);
    if (fork() == 0) _exit(3);
    r = wait(&st);
    printf("SA_NOCLDWAIT: wait=%d errno=%s\n", r, strerror(errno));
    signal(SIGCHLD, SIG_DFL);
    pid_t c = fork(); if (c == 0) _exit(3);
    r = wait(&st);
    printf("SIG_DFL: wait ok=%d status=%d\n", r == c, WEXITSTATUS(st));
}
