/* ksignal-run smoke case: a served sigsuspend and a host nanosleep across stop/continue (restart rules after a stop). */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
static volatile int n;
static void h(int s) { n++; }
int main(void) {
    signal(SIGUSR1, h);
    sigset_t b; sigemptyset(&b); sigaddset(&b, SIGUSR1); sigprocmask(SIG_BLOCK, &b, 0);
    pid_t c = fork();
    if (c == 0) { sigset_t e; sigemptyset(&e); int r = sigsuspend(&e); printf("child: sigsuspend=%d %s n=%d\n", r, strerror(errno), n); fflush(stdout); 
        struct timespec ts = {0, 400000000}; r = nanosleep(&ts, 0); printf("child: nanosleep=%d\n", r); fflush(stdout); _exit(7); }
    int st; usleep(100000);
    kill(c, SIGTSTP); waitpid(c, &st, WUNTRACED); printf("stopped %d\n", WSTOPSIG(st));
    kill(c, SIGCONT); usleep(100000);
    kill(c, SIGUSR1); usleep(100000);
    kill(c, SIGSTOP); waitpid(c, &st, WUNTRACED); printf("stopped %d\n", WSTOPSIG(st));
    kill(c, SIGCONT);
    waitpid(c, &st, 0); printf("exit %d\n", WEXITSTATUS(st));
}
