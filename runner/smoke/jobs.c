/* ksignal-run smoke case: job control (WUNTRACED/WCONTINUED), fatal signals, a thread in sigwait. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
#include <pthread.h>
#include <errno.h>
#include <string.h>
#include "jobctl.h"
static void *thr(void *a) { sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR2); int sig; sigwait(&s, &sig); printf("thread sigwait got %d\n", sig); return 0; }
int main(void) {
    pid_t c = fork();
    if (c == 0) { for (;;) pause(); }
    stop_continue_kill(c, SIGTSTP, SIGQUIT);
    /* threads: block USR2 in main; a thread sigwaits for it; main keeps running */
    sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    pthread_t t; pthread_create(&t, 0, thr, 0);
    usleep(100000);
    printf("main still running\n"); fflush(stdout);
    kill(getpid(), SIGUSR2);
    pthread_join(t, 0);
    return 0;
}
