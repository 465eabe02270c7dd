/* ksignal-run smoke case: handlers, masks, waits, restarts. Output must match a native run. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <time.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <setjmp.h>
static sigjmp_buf jb;
static volatile int onalt;
static char altstk[65536];
static void segv(int sig, siginfo_t *si, void *uc) {
    char here;
    onalt = &here >= altstk && &here < altstk + sizeof altstk;
    printf("SIGSEGV: code=%d addr=%p\n", si->si_code, si->si_addr);
    siglongjmp(jb, 1);
}
static volatile int got, gotcode, nested;
static volatile double fpv;
static void h(int sig, siginfo_t *si, void *uc) {
    got = sig; gotcode = si->si_code;
    double x = 1.5; for (int i = 0; i < 10; i++) x *= 1.1; fpv = x;
    if (sig == SIGUSR1) raise(SIGUSR2);
}
static void h2(int sig) { nested++; }
static void alrm(int sig) {}
int main(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO; sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, h2);
    double keep = 3.25;
    raise(SIGUSR1);
    printf("handler: sig=%d code=%d nested=%d fp=%s\n", got, gotcode, nested, keep == 3.25 ? "kept" : "LOST");
    sigset_t s, old; sigemptyset(&s); sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, &old);
    got = 0; kill(getpid(), SIGUSR1);
    sigset_t p; sigpending(&p);
    printf("blocked: got=%d pending=%d\n", got, sigismember(&p, SIGUSR1));
    siginfo_t si; struct timespec ts = {1, 0};
    int r = sigtimedwait(&s, &si, &ts);
    printf("sigtimedwait=%d si_signo=%d si_pid_ok=%d\n", r, si.si_signo, si.si_pid == getpid());
    r = sigtimedwait(&s, &si, &(struct timespec){0, 100000000});
    printf("sigtimedwait timeout=%d errno=%s\n", r, strerror(errno));
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* EINTR on a pipe read interrupted by SIGALRM without SA_RESTART */
    struct sigaction sb = {0}; sb.sa_handler = alrm; sigaction(SIGALRM, &sb, NULL);
    int fd[2]; pipe(fd); char c;
    alarm(1);
    r = read(fd[0], &c, 1);
    printf("read=%d errno=%s\n", r, strerror(errno));
    /* SA_RESTART: read restarts; child writes after 1.5s */
    sb.sa_flags = SA_RESTART; sigaction(SIGALRM, &sb, NULL);
    if (fork() == 0) { usleep(1500000); write(fd[1], "z", 1); _exit(0); }
    alarm(1);
    r = read(fd[0], &c, 1);
    printf("restarted read=%d c=%c\n", r, c);
    int st; wait(&st);
    /* sigsuspend */
    sigprocmask(SIG_BLOCK, &s, &old);
    got = 0;
    if (fork() == 0) { usleep(200000); kill(getppid(), SIGUSR1); _exit(0); }
    sigset_t w; sigemptyset(&w);
    r = sigsuspend(&w);
    printf("sigsuspend=%d errno=%s got=%d\n", r, strerror(errno), got);
    wait(&st);
    /* child killed by signal */
    pid_t c2 = fork();
    if (c2 == 0) { pause(); _exit(0); }
    usleep(100000); kill(c2, SIGTERM); waitpid(c2, &st, 0);
    printf("child: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    /* a fault, handled on the alternate stack, left with siglongjmp */
    stack_t ss = { .ss_sp = altstk, .ss_size = sizeof altstk };
    sigaltstack(&ss, NULL);
    struct sigaction sg = {0}; sg.sa_sigaction = segv; sg.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sg, NULL);
    if (sigsetjmp(jb, 1) == 0) *(volatile int *)16 = 1;
    printf("after fault: on altstack=%d\n", onalt);
    /* an unhandled fault kills a child with SIGSEGV */
    pid_t c3 = fork();
    if (c3 == 0) { signal(SIGSEGV, SIG_DFL); *(volatile int *)16 = 1; _exit(0); }
    waitpid(c3, &st, 0);
    printf("faulting child: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    return 0;
}
