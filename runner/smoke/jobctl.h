/* Job control as a parent sees it, shared by the smoke case jobs.c and
 * runner/tests/sigprog.c. */
#ifndef KSIGNAL_RUN_JOBCTL_H
#define KSIGNAL_RUN_JOBCTL_H

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

/* Stops child `c` with `stop_sig`, continues it with SIGCONT and kills it
 * with `kill_sig`, printing what waitpid reports after each step
 * (WUNTRACED, WCONTINUED, then the death). */
static inline void stop_continue_kill(pid_t c, int stop_sig, int kill_sig)
{
	int st;
	kill(c, stop_sig);
	waitpid(c, &st, WUNTRACED);
	printf("stopped=%d sig=%d\n", WIFSTOPPED(st), WSTOPSIG(st));
	kill(c, SIGCONT);
	waitpid(c, &st, WCONTINUED);
	printf("continued=%d\n", WIFCONTINUED(st));
	kill(c, kill_sig);
	waitpid(c, &st, 0);
	printf("signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
}

#endif
