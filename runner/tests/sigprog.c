/*
 * Signal behaviours a real x86_64 program relies on, each printed as
 * deterministic lines (no pids, no addresses, no times), so that a run under
 * ksignal-run can be diffed against the native run.
 *
 *     sigprog TEST      TEST: nested siginfo fault-edit altstack fp restart
 *                             longjmp nocldwait threads stop-exec abort
 *                             sfd-epoll sfd-poll sfd-dup sfd-readv
 *
 * Built by runner/tests/real-programs.sh with gcc into target/.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "../smoke/jobctl.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31) /* Linux's uapi <linux/signal.h>; glibc lacks it */
#endif

/* The order in which handlers ran, printed after the fact. */
static char events[256];
static volatile sig_atomic_t nevents;

static void note(char c)
{
	if (nevents < (int)sizeof(events) - 1)
		events[nevents++] = c;
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags, const int *mask)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (; mask && *mask; mask++)
		sigaddset(&sa.sa_mask, *mask);
	if (sigaction(sig, &sa, NULL)) {
		perror("sigaction");
		exit(99);
	}
}

static int blocked(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

/* ---- nested: handlers interrupting handlers, sa_mask, SA_NODEFER ---- */

static volatile sig_atomic_t depth, max_depth;

static void nest_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	note('1');
	/* SIGUSR1 is blocked while its handler runs: this one waits. */
	if (nevents < 3)
		raise(SIGUSR1);
	/* SIGUSR2 is not in the mask: its handler runs inside this one. */
	if (nevents < 3)
		raise(SIGUSR2);
	/* SIGHUP is in sa_mask: it waits for this handler to return. */
	if (nevents < 4)
		raise(SIGHUP);
	note(blocked(SIGUSR1) ? 'b' : 'u');
	note('.');
}

static void nest_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	note('2');
}

static void nest_hup(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	note('h');
}

static void nest_rt(int sig, siginfo_t *si, void *uc)
{
	(void)si; (void)uc;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	/* SA_NODEFER: the same signal nests, five deep. */
	if (depth < 5)
		raise(sig);
	depth--;
}

static void record(int sig, siginfo_t *si, void *uc)
{
	(void)si; (void)uc;
	note(sig == SIGUSR2 ? 'u' : (char)('0' + sig - SIGRTMIN));
}

static int t_nested(void)
{
	static const int hup[] = { SIGHUP, 0 };
	install(SIGUSR1, nest_usr1, 0, hup);
	install(SIGUSR2, nest_usr2, 0, NULL);
	install(SIGHUP, nest_hup, 0, NULL);
	raise(SIGUSR1);
	events[nevents] = 0;
	printf("order: %s\n", events);
	printf("SIGUSR1 blocked after return: %d\n", blocked(SIGUSR1));

	install(SIGRTMIN + 3, nest_rt, SA_NODEFER, NULL);
	raise(SIGRTMIN + 3);
	printf("SA_NODEFER depth: %d\n", max_depth);

	/* Real-time signals queue, standard ones do not; unblocking delivers
	 * them all before sigprocmask returns, in Linux's order. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	install(SIGRTMIN, record, 0, NULL);
	install(SIGRTMIN + 1, record, 0, NULL);
	install(SIGUSR2, record, 0, NULL);
	raise(SIGRTMIN + 1);
	raise(SIGRTMIN);
	raise(SIGRTMIN + 1);
	raise(SIGUSR2);
	raise(SIGUSR2);
	nevents = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("unblock order: %.*s\n", nevents, events);
	return 0;
}

/* ---- siginfo: what each kind of sender puts in siginfo ---- */

static siginfo_t last;
static sigset_t last_uc_mask;

static void keep_info(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	last = *si;
	last_uc_mask = ((ucontext_t *)uc)->uc_sigmask;
}

static int t_siginfo(void)
{
	install(SIGUSR1, keep_info, 0, NULL);
	install(SIGRTMIN + 2, keep_info, 0, NULL);

	kill(getpid(), SIGUSR1);
	printf("kill: signo %d code %d (SI_USER %d) pid-is-self %d uid %d\n", last.si_signo,
	       last.si_code, SI_USER, last.si_pid == getpid(), (int)last.si_uid);

	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	printf("tgkill: signo %d code %d (SI_TKILL %d) pid-is-self %d\n", last.si_signo,
	       last.si_code, SI_TKILL, last.si_pid == getpid());

	union sigval v = { .sival_int = 4242 };
	sigqueue(getpid(), SIGRTMIN + 2, v);
	printf("sigqueue: signo-rtmin %d code %d (SI_QUEUE %d) value %d\n",
	       last.si_signo - SIGRTMIN, last.si_code, SI_QUEUE, last.si_value.sival_int);

	/* rt_sigqueueinfo from user space with a negative si_code is allowed
	 * to the caller's own process, and the fields arrive as sent. */
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGRTMIN + 2;
	si.si_code = -60;
	si.si_pid = 12345;
	si.si_uid = 678;
	si.si_value.sival_int = -7;
	long r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 2, &si);
	printf("rt_sigqueueinfo: ret %ld code %d pid %d uid %d value %d\n", r, last.si_code,
	       last.si_pid, (int)last.si_uid, last.si_value.sival_int);

	/* A positive si_code is refused (EPERM) except to the caller itself. */
	si.si_code = 1;
	errno = 0;
	r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 2, &si);
	printf("rt_sigqueueinfo positive code to itself: ret %ld code %d\n", r, last.si_code);

	/* The ucontext's saved mask is the mask before delivery. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	printf("uc_sigmask has SIGWINCH %d, SIGUSR1 %d\n",
	       sigismember(&last_uc_mask, SIGWINCH), sigismember(&last_uc_mask, SIGUSR1));
	return 0;
}

/* ---- fault-edit: synchronous faults, their siginfo, and ucontext edits
 * that skip the faulting instruction and set registers ---- */

static int fault_len;  /* bytes to skip */

static void fault_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	last = *si;
	(void)sig;
	uc->uc_mcontext.gregs[REG_RIP] += fault_len;
	uc->uc_mcontext.gregs[REG_RBX] = 42;
}

/* Runs `insns` (which fault; the handler skips `len` bytes and sets rbx) with
 * rbx = 0 before them, and gives rbx after them. */
#define fault_then_rbx(len, insns)                                                 \
	({                                                                         \
		uint64_t rbx_;                                                     \
		fault_len = (len);                                                 \
		asm volatile("mov $0, %%rbx\n\t" insns "mov %%rbx, %0"               \
			     : "=r"(rbx_) : : "rax", "rbx", "rcx", "rdx", "memory");     \
		rbx_;                                                              \
	})

static int t_fault_edit(void)
{
	install(SIGSEGV, fault_handler, 0, NULL);
	install(SIGILL, fault_handler, 0, NULL);
	install(SIGFPE, fault_handler, 0, NULL);
	install(SIGTRAP, fault_handler, 0, NULL);
	uint64_t rbx;

	/* mov (%rax),%rbx with rax = 16: 48 8b 18, three bytes. */
	rbx = fault_then_rbx(3, "mov $16, %%rax\n\t"
				".byte 0x48, 0x8b, 0x18\n\t");
	printf("SIGSEGV: signo %d code %d (SEGV_MAPERR %d) addr %lu rbx %lu\n", last.si_signo,
	       last.si_code, SEGV_MAPERR, (unsigned long)last.si_addr, (unsigned long)rbx);

	/* ud2: 0f 0b, two bytes. */
	rbx = fault_then_rbx(2, "ud2\n\t");
	printf("SIGILL: signo %d code %d (ILL_ILLOPN %d) rbx %lu\n", last.si_signo,
	       last.si_code, ILL_ILLOPN, (unsigned long)rbx);

	/* div %rcx with rcx = 0: 48 f7 f1, three bytes. */
	rbx = fault_then_rbx(3, "mov $0, %%rcx\n\t"
				"mov $1, %%rax\n\t"
				"xor %%edx, %%edx\n\t"
				".byte 0x48, 0xf7, 0xf1\n\t");
	printf("SIGFPE: signo %d code %d (FPE_INTDIV %d) rbx %lu\n", last.si_signo,
	       last.si_code, FPE_INTDIV, (unsigned long)rbx);

	/* int3 reports with rip already after it: skip nothing more. */
	rbx = fault_then_rbx(0, "int3\n\t");
	printf("SIGTRAP: signo %d code %d (SI_KERNEL %d) rbx %lu\n", last.si_signo,
	       last.si_code, SI_KERNEL, (unsigned long)rbx);

	/* A fault while its signal is blocked kills the process (force_sig
	 * unblocks and resets to default): checked by the exit status. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fflush(stdout);
	fault_len = 3;
	asm volatile("mov $16, %%rax\n\t"
		     ".byte 0x48, 0x8b, 0x18\n\t"
		     : : : "rax", "rbx", "memory");
	printf("not reached\n");
	return 0;
}

/* ---- altstack: sigaltstack with SS_AUTODISARM, and stack overflow ---- */

#define ALT_SIZE (64 * 1024)
static char *alt;
static int on_alt, nested_on_alt;
static stack_t in_handler, uc_stack;
static sigjmp_buf jb;

static int within_alt(void *p)
{
	return (char *)p >= alt && (char *)p < alt + ALT_SIZE;
}

static void alt_nested(int sig, siginfo_t *si, void *uc)
{
	char here;
	(void)sig; (void)si; (void)uc;
	nested_on_alt = within_alt(&here);
}

static void alt_handler(int sig, siginfo_t *si, void *ucv)
{
	char here;
	ucontext_t *uc = ucv;
	(void)sig; (void)si;
	on_alt = within_alt(&here);
	uc_stack = uc->uc_stack;
	sigaltstack(NULL, &in_handler);
	raise(SIGUSR2);
}

__attribute__((noinline)) static int recursion(int n)
{
	volatile char pad[512];
	pad[0] = (char)n;
	return recursion(n + 1) + pad[0];
}

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
	char here;
	(void)si; (void)uc;
	on_alt = within_alt(&here);
	last.si_signo = sig;
	siglongjmp(jb, 1);
}

static int t_altstack(void)
{
	alt = malloc(ALT_SIZE);
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = SS_AUTODISARM };
	if (sigaltstack(&ss, NULL)) {
		perror("sigaltstack");
		return 1;
	}
	install(SIGUSR1, alt_handler, SA_ONSTACK, NULL);
	install(SIGUSR2, alt_nested, SA_ONSTACK, NULL);
	raise(SIGUSR1);
	stack_t after;
	sigaltstack(NULL, &after);
	printf("handler on altstack %d\n", on_alt);
	printf("uc_stack: sp-is-alt %d size %zu flags %#x\n", uc_stack.ss_sp == alt,
	       uc_stack.ss_size, (unsigned)uc_stack.ss_flags);
	printf("in handler: flags %#x size %zu\n", (unsigned)in_handler.ss_flags,
	       in_handler.ss_size);
	/* Disarmed: the nested SA_ONSTACK handler runs on the current stack,
	 * which is inside the alternate stack area but not from its top. */
	printf("nested handler within altstack area %d\n", nested_on_alt);
	printf("after return: sp-is-alt %d size %zu flags %#x\n", after.ss_sp == alt,
	       after.ss_size, (unsigned)after.ss_flags);

	/* Too small: ENOMEM. */
	stack_t tiny = { .ss_sp = alt, .ss_size = 1024, .ss_flags = 0 };
	errno = 0;
	int r = sigaltstack(&tiny, NULL);
	printf("tiny altstack: %d %s\n", r, strerrorname_np(errno));
	stack_t bad = { .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0x1234 };
	errno = 0;
	r = sigaltstack(&bad, NULL);
	printf("bad flags: %d %s\n", r, strerrorname_np(errno));

	/* Stack overflow: SIGSEGV can only be handled on the alternate stack. */
	install(SIGSEGV, overflow_handler, SA_ONSTACK, NULL);
	on_alt = 0;
	if (!sigsetjmp(jb, 1))
		recursion(0);
	printf("stack overflow: recovered with signal %d on altstack %d\n", last.si_signo, on_alt);
	return 0;
}

/* ---- fp: SSE/AVX/AVX-512 registers and MXCSR kept across a handler that
 * clobbers them, the handler's clean FP state, and an FP edit through the
 * frame ---- */

static uint32_t handler_mxcsr;
static int handler_ymm0_zero;

__attribute__((target("avx"))) static void fp_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint8_t y0[32];
	(void)sig; (void)si;
	asm volatile("vmovdqu %%ymm0, %0" : "=m"(y0));
	handler_ymm0_zero = 1;
	for (int i = 0; i < 32; i++)
		if (y0[i])
			handler_ymm0_zero = 0;
	asm volatile("stmxcsr %0" : "=m"(handler_mxcsr));
	/* Clobber everything. */
	asm volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
		     "vmovdqa %%ymm0, %%ymm1\n\t" "vmovdqa %%ymm0, %%ymm2\n\t"
		     "vmovdqa %%ymm0, %%ymm3\n\t" "vmovdqa %%ymm0, %%ymm4\n\t"
		     "vmovdqa %%ymm0, %%ymm5\n\t" "vmovdqa %%ymm0, %%ymm6\n\t"
		     "vmovdqa %%ymm0, %%ymm7\n\t" "vmovdqa %%ymm0, %%ymm8\n\t"
		     "vmovdqa %%ymm0, %%ymm9\n\t" "vmovdqa %%ymm0, %%ymm10\n\t"
		     "vmovdqa %%ymm0, %%ymm11\n\t" "vmovdqa %%ymm0, %%ymm12\n\t"
		     "vmovdqa %%ymm0, %%ymm13\n\t" "vmovdqa %%ymm0, %%ymm14\n\t"
		     "vmovdqa %%ymm0, %%ymm15\n\t"
		     : : : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	uint32_t m = 0x1f80 | (3 << 13);  /* round toward zero */
	asm volatile("ldmxcsr %0" : : "m"(m));
	/* Edit the interrupted context's xmm15 (low 128 bits) in the frame. */
	if (sig == SIGUSR2 && uc->uc_mcontext.fpregs)
		for (int i = 0; i < 4; i++)
			uc->uc_mcontext.fpregs->_xmm[15].element[i] = 0x5a5a5a5a;
}

__attribute__((target("avx512f"))) static void fp_handler512(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	asm volatile("vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n\t"
		     "vmovdqa64 %%zmm16, %%zmm17\n\t" "vmovdqa64 %%zmm16, %%zmm31\n\t"
		     "vmovdqa64 %%zmm16, %%zmm0\n\t" "vmovdqa64 %%zmm16, %%zmm15\n\t"
		     : : : "xmm0", "xmm15", "xmm16", "xmm17", "xmm31");
}

#define YMMS 16
__attribute__((target("avx"))) static void ymm_roundtrip(const uint8_t *in, uint8_t *out, int sig)
{
	asm volatile(
		"vmovdqu 0(%[in]), %%ymm0\n\t" "vmovdqu 32(%[in]), %%ymm1\n\t"
		"vmovdqu 64(%[in]), %%ymm2\n\t" "vmovdqu 96(%[in]), %%ymm3\n\t"
		"vmovdqu 128(%[in]), %%ymm4\n\t" "vmovdqu 160(%[in]), %%ymm5\n\t"
		"vmovdqu 192(%[in]), %%ymm6\n\t" "vmovdqu 224(%[in]), %%ymm7\n\t"
		"vmovdqu 256(%[in]), %%ymm8\n\t" "vmovdqu 288(%[in]), %%ymm9\n\t"
		"vmovdqu 320(%[in]), %%ymm10\n\t" "vmovdqu 352(%[in]), %%ymm11\n\t"
		"vmovdqu 384(%[in]), %%ymm12\n\t" "vmovdqu 416(%[in]), %%ymm13\n\t"
		"vmovdqu 448(%[in]), %%ymm14\n\t" "vmovdqu 480(%[in]), %%ymm15\n\t"
		"syscall\n\t"
		"vmovdqu %%ymm0, 0(%[out])\n\t" "vmovdqu %%ymm1, 32(%[out])\n\t"
		"vmovdqu %%ymm2, 64(%[out])\n\t" "vmovdqu %%ymm3, 96(%[out])\n\t"
		"vmovdqu %%ymm4, 128(%[out])\n\t" "vmovdqu %%ymm5, 160(%[out])\n\t"
		"vmovdqu %%ymm6, 192(%[out])\n\t" "vmovdqu %%ymm7, 224(%[out])\n\t"
		"vmovdqu %%ymm8, 256(%[out])\n\t" "vmovdqu %%ymm9, 288(%[out])\n\t"
		"vmovdqu %%ymm10, 320(%[out])\n\t" "vmovdqu %%ymm11, 352(%[out])\n\t"
		"vmovdqu %%ymm12, 384(%[out])\n\t" "vmovdqu %%ymm13, 416(%[out])\n\t"
		"vmovdqu %%ymm14, 448(%[out])\n\t" "vmovdqu %%ymm15, 480(%[out])\n\t"
		: "+a"((long){ SYS_tgkill })
		: [in] "r"(in), [out] "r"(out), "D"((long)getpid()), "S"((long)gettid()),
		  "d"((long)sig)
		: "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
		  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

__attribute__((target("avx512f"))) static void zmm_roundtrip(const uint8_t *in, uint8_t *out,
							      int sig)
{
	asm volatile(
		"vmovdqu64 0(%[in]), %%zmm0\n\t" "vmovdqu64 64(%[in]), %%zmm15\n\t"
		"vmovdqu64 128(%[in]), %%zmm16\n\t" "vmovdqu64 192(%[in]), %%zmm17\n\t"
		"vmovdqu64 256(%[in]), %%zmm31\n\t"
		"syscall\n\t"
		"vmovdqu64 %%zmm0, 0(%[out])\n\t" "vmovdqu64 %%zmm15, 64(%[out])\n\t"
		"vmovdqu64 %%zmm16, 128(%[out])\n\t" "vmovdqu64 %%zmm17, 192(%[out])\n\t"
		"vmovdqu64 %%zmm31, 256(%[out])\n\t"
		: "+a"((long){ SYS_tgkill })
		: [in] "r"(in), [out] "r"(out), "D"((long)getpid()), "S"((long)gettid()),
		  "d"((long)sig)
		: "rcx", "r11", "memory", "xmm0", "xmm15", "xmm16", "xmm17", "xmm31");
}

static int t_fp(void)
{
	static uint8_t in[YMMS * 32], out[YMMS * 32];
	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	install(SIGUSR1, fp_handler, 0, NULL);
	install(SIGUSR2, fp_handler, 0, NULL);

	uint32_t rz = 0x1f80 | (1 << 13);  /* round down */
	asm volatile("ldmxcsr %0" : : "m"(rz));
	uint16_t cw = 0x027f, cw_after;  /* x87: 53-bit precision */
	asm volatile("fldcw %0" : : "m"(cw));

	ymm_roundtrip(in, out, SIGUSR1);
	uint32_t mxcsr_after;
	asm volatile("stmxcsr %0" : "=m"(mxcsr_after));
	asm volatile("fnstcw %0" : "=m"(cw_after));
	printf("ymm0-15 kept across a clobbering handler: %d\n", !memcmp(in, out, sizeof(in)));
	printf("handler started with ymm0 zero %d, mxcsr %#x\n", handler_ymm0_zero, handler_mxcsr);
	printf("mxcsr after %#x, x87 cw after %#x\n", mxcsr_after, cw_after);

	/* The handler rewrites xmm15 in the frame: the low half of ymm15 comes
	 * back edited; the high half is kept. */
	ymm_roundtrip(in, out, SIGUSR2);
	int edited = 1, others = !memcmp(in, out, 15 * 32), high = !memcmp(in + 496, out + 496, 16);
	for (int i = 480; i < 496; i++)
		if (out[i] != 0x5a)
			edited = 0;
	printf("xmm15 edited through uc_mcontext.fpregs %d, ymm15 high kept %d, others kept %d\n",
	       edited, high, others);

	if (__builtin_cpu_supports("avx512f")) {
		static uint8_t zin[5 * 64], zout[5 * 64];
		for (unsigned i = 0; i < sizeof(zin); i++)
			zin[i] = (uint8_t)(i * 13 + 5);
		install(SIGUSR1, fp_handler512, 0, NULL);
		zmm_roundtrip(zin, zout, SIGUSR1);
		printf("zmm0/15/16/17/31 kept: %d\n", !memcmp(zin, zout, sizeof(zin)));
	} else {
		printf("zmm0/15/16/17/31 kept: 1\n");  /* no AVX-512 on this CPU */
	}
	return 0;
}

/* ---- restart: SA_RESTART vs EINTR for read, nanosleep, and pause ---- */

static void quiet(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	note('a');
}

static void arm(int ms)
{
	/* tv_usec must stay below 1000000 (setitimer's EINVAL otherwise). */
	struct itimerval it = { .it_value = { .tv_sec = ms / 1000, .tv_usec = ms % 1000 * 1000 } };
	if (setitimer(ITIMER_REAL, &it, NULL)) {
		perror("setitimer");
		exit(97);
	}
}

static void restart_read(int flags, const char *what)
{
	int p[2];
	if (pipe(p))
		exit(98);
	pid_t c = fork();
	if (c == 0) {
		usleep(800 * 1000);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	install(SIGALRM, quiet, flags, NULL);
	nevents = 0;
	arm(100);
	char b;
	errno = 0;
	ssize_t n = read(p[0], &b, 1);
	printf("read, %s: ret %zd errno %s handler ran %d\n", what, n,
	       n < 0 ? strerrorname_np(errno) : "0", nevents);
	waitpid(c, NULL, 0);
	close(p[0]);
	close(p[1]);
}

static int t_restart(void)
{
	restart_read(SA_RESTART, "SA_RESTART");
	restart_read(0, "no SA_RESTART");

	struct timespec ts = { .tv_sec = 0, .tv_nsec = 800 * 1000 * 1000 }, rem = { 0 };
	install(SIGALRM, quiet, SA_RESTART, NULL);
	nevents = 0;
	arm(100);
	int r = nanosleep(&ts, &rem);
	/* nanosleep's -ERESTART_RESTARTBLOCK becomes EINTR when a handler runs,
	 * SA_RESTART or not (Linux's handle_signal), with the time left. */
	printf("nanosleep, SA_RESTART: ret %d errno %s rem>0 %d handler ran %d\n", r,
	       r ? strerrorname_np(errno) : "0", rem.tv_sec > 0 || rem.tv_nsec > 0, nevents);

	/* clock_nanosleep(TIMER_ABSTIME): -ERESTARTNOHAND. */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_nsec += 800 * 1000 * 1000;
	if (now.tv_nsec >= 1000000000) {
		now.tv_sec++;
		now.tv_nsec -= 1000000000;
	}
	nevents = 0;
	arm(100);
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL);
	printf("clock_nanosleep abs, SA_RESTART: ret %d handler ran %d\n", r, nevents);

	install(SIGALRM, quiet, 0, NULL);
	nevents = 0;
	arm(100);
	r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &rem);
	printf("clock_nanosleep rel, no SA_RESTART: ret %s handler ran %d\n",
	       r ? strerrorname_np(r) : "0", nevents);

	/* pause and sigsuspend never restart. */
	install(SIGALRM, quiet, SA_RESTART, NULL);
	nevents = 0;
	arm(100);
	errno = 0;
	r = pause();
	printf("pause, SA_RESTART: ret %d errno %s handler ran %d\n", r, strerrorname_np(errno),
	       nevents);

	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&empty);
	nevents = 0;
	arm(100);
	errno = 0;
	r = sigsuspend(&empty);
	printf("sigsuspend: ret %d errno %s handler ran %d, SIGALRM blocked after %d\n", r,
	       strerrorname_np(errno), nevents, blocked(SIGALRM));
	return 0;
}

/* ---- longjmp: siglongjmp out of a handler restores the mask ---- */

static void jump_out(int sig, siginfo_t *si, void *uc)
{
	(void)si; (void)uc;
	siglongjmp(jb, sig);
}

static int t_longjmp(void)
{
	install(SIGUSR1, jump_out, 0, NULL);
	int got = sigsetjmp(jb, 1);
	if (!got) {
		raise(SIGUSR1);
		printf("not reached\n");
	}
	printf("siglongjmp from handler of %d, SIGUSR1 blocked after %d\n", got, blocked(SIGUSR1));
	got = setjmp(*(jmp_buf *)&jb);  /* plain setjmp: mask not restored */
	if (!got) {
		raise(SIGUSR1);
		printf("not reached\n");
	}
	printf("longjmp from handler of %d, SIGUSR1 blocked after %d\n", got, blocked(SIGUSR1));
	return 0;
}

/* ---- nocldwait: SIGCHLD ignored or SA_NOCLDWAIT reaps children ---- */

/* Forks a child that exits with `code` and waits for any child: -1 and
 * ECHILD once the kernel reaped it already. */
static void fork_exit_and_wait(int code, const char *what)
{
	int status;
	pid_t c = fork();
	if (c == 0)
		_exit(code);
	errno = 0;
	pid_t w = wait(&status);
	printf("%s: wait %d errno %s\n", what, (int)w, strerrorname_np(errno));
}

static int t_nocldwait(void)
{
	int status;
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	pid_t w = waitpid(c, &status, 0);
	printf("default SIGCHLD: waited %d exit %d\n", w == c, WEXITSTATUS(status));

	install(SIGCHLD, quiet, SA_NOCLDWAIT, NULL);
	nevents = 0;
	fork_exit_and_wait(4, "SA_NOCLDWAIT");
	signal(SIGCHLD, SIG_IGN);
	fork_exit_and_wait(5, "SIGCHLD SIG_IGN");

	/* Stopped and continued children, seen by waitpid. */
	signal(SIGCHLD, SIG_DFL);
	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	stop_continue_kill(c, SIGSTOP, SIGTERM);
	return 0;
}

/* ---- threads: which thread takes a process-directed signal, a thread
 * blocked in sigtimedwait while the others run, a fatal signal ends all ---- */

static pthread_t workers[3];
static volatile int taken_by = -1;
static volatile long spins;
static volatile int stop_spinning;

static void which_thread(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	for (int i = 0; i < 3; i++)
		if (pthread_equal(pthread_self(), workers[i]))
			taken_by = i;
}

static void *worker(void *arg)
{
	int idx = (int)(long)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	/* Only worker 1 leaves SIGUSR1 unblocked. */
	pthread_sigmask(idx == 1 ? SIG_UNBLOCK : SIG_BLOCK, &set, NULL);
	if (idx == 2) {
		/* Waits for SIGUSR2 only, without blocking the others. */
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		siginfo_t si;
		struct timespec ts = { .tv_sec = 10 };
		int r = sigtimedwait(&set, &si, &ts);
		if (r != SIGUSR2)
			printf("sigtimedwait: %d %s\n", r, strerrorname_np(errno));
		return (void *)(long)(r == SIGUSR2 ? si.si_code : 0);
	}
	while (!stop_spinning)
		spins++;
	return NULL;
}

static int t_threads(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);  /* inherited: workers start blocked */
	install(SIGUSR1, which_thread, 0, NULL);
	for (long i = 0; i < 3; i++)
		pthread_create(&workers[i], NULL, worker, (void *)i);
	/* Worker 1 must have unblocked SIGUSR1 before the signal is sent. */
	usleep(100 * 1000);
	kill(getpid(), SIGUSR1);
	while (taken_by < 0)
		usleep(1000);
	printf("process-directed SIGUSR1 taken by worker %d (the one leaving it unblocked)\n",
	       taken_by);
	/* Worker 2 sleeps in sigtimedwait: worker 1 keeps running meanwhile. */
	long before = spins;
	usleep(100 * 1000);
	printf("worker 1 ran while worker 2 waits: %d\n", spins > before);
	pthread_kill(workers[2], SIGUSR2);
	void *ok;
	pthread_join(workers[2], &ok);
	/* glibc 2.36 pthread_kill: rt_tgsigqueueinfo with SI_USER, as kill would. */
	printf("worker 2 sigtimedwait got SIGUSR2 from pthread_kill: si_code %ld (SI_USER %d)\n",
	       (long)ok, SI_USER);
	stop_spinning = 1;
	pthread_join(workers[0], NULL);
	pthread_join(workers[1], NULL);
	/* A fatal signal sent to one thread ends the whole process. */
	pid_t c = fork();
	if (c == 0) {
		pthread_t t;
		stop_spinning = 0;
		pthread_create(&t, NULL, worker, (void *)0L);
		usleep(50 * 1000);
		pthread_kill(t, SIGTERM);
		for (;;)
			pause();
	}
	int status;
	waitpid(c, &status, 0);
	printf("child killed through one thread: signaled %d by %d\n", WIFSIGNALED(status),
	       WTERMSIG(status));
	return 0;
}

/* ---- stop-exec: SIGSTOP sent at once after vfork or fork, while the child
 * is on its way through exec, still stops it ---- */

static int t_stop_exec(void)
{
	static int stopped, lost, other;
	install(SIGALRM, quiet, 0, NULL);  /* no SA_RESTART: waitpid gets EINTR */
	for (int i = 0; i < 20; i++) {
		/* vfork: the parent resumes when the child's exec is done (the
		 * way Python's subprocess and posix_spawn start programs). */
		pid_t c = i % 2 ? fork() : vfork();
		if (c == 0) {
			execlp("sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		kill(c, SIGSTOP);
		int status;
		arm(1000);
		pid_t w = waitpid(c, &status, WUNTRACED);
		arm(0);
		if (w == c && WIFSTOPPED(status))
			stopped++;
		else if (w < 0 && errno == EINTR)
			lost++;
		else if (!other++)
			printf("waitpid (%s): ret-is-child %d errno %s status %#x\n", i % 2 ? "fork" : "vfork", w == c,
			       w < 0 ? strerrorname_np(errno) : "0", status);
		kill(c, SIGKILL);
		waitpid(c, &status, 0);
	}
	printf("SIGSTOP at once after vfork/fork+exec: stopped %d of 20, not stopped within 1 s %d,"
	       " other %d\n", stopped, lost, other);
	return 0;
}

static int t_abort(void)
{
	install(SIGABRT, quiet, 0, NULL);
	printf("abort with a handler that returns\n");
	fflush(stdout);
	abort();
}

/* ---- signalfd: readiness (poll, select, epoll), dup, readv ---- */

/* A signalfd for SIGUSR1 and SIGUSR2 (both blocked), flags as given. */
static int usr_sfd(int flags)
{
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, NULL);
	return signalfd(-1, &m, flags);
}

/* Reads one record from `fd` and prints its signal (or the error). */
static void read_one(int fd, const char *what)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof si);
	if (n < 0)
		printf("%s: read: %s\n", what, strerror(errno));
	else
		printf("%s: read %zd bytes, %s\n", what, n, strsignal(si.ssi_signo));
}

static void *send_later(void *arg)
{
	usleep(100 * 1000);
	kill(getpid(), (int)(intptr_t)arg);
	return NULL;
}

/* signalfd_poll through epoll: an epoll_wait that times out with nothing pending;
 * one woken by a signal another thread sends, then by one another process sends;
 * one that reports a ready pipe beside the signalfd. */
static int t_sfd_epoll(void)
{
	int sfd = usr_sfd(SFD_NONBLOCK), ep = epoll_create1(0), p[2];
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[4];
	pthread_t th;
	if (pipe(p))
		return 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u64 = 7;
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	printf("nothing pending: epoll_wait = %d\n", epoll_wait(ep, out, 4, 100));

	pthread_create(&th, NULL, send_later, (void *)(intptr_t)SIGUSR1);
	int n = epoll_wait(ep, out, 4, 5000);
	printf("thread sent SIGUSR1: epoll_wait = %d, data %llu, events %#x\n", n,
	       (unsigned long long)out[0].data.u64, out[0].events);
	pthread_join(th, NULL);
	read_one(sfd, "after epoll_wait");
	printf("drained: epoll_pwait = %d\n", epoll_pwait(ep, out, 4, 0, NULL));

	pid_t parent = getpid(), c = fork();
	if (c == 0) {
		usleep(100 * 1000);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	n = epoll_wait(ep, out, 4, -1);
	printf("child sent SIGUSR2: epoll_wait = %d, data %llu\n", n, (unsigned long long)out[0].data.u64);
	waitpid(c, NULL, 0);
	read_one(sfd, "after the child's signal");

	/* A child's exit (SIGCHLD, ignored by default) while waiting: no EINTR. */
	c = fork();
	if (c == 0) {
		usleep(30 * 1000);
		_exit(0);
	}
	pthread_create(&th, NULL, send_later, (void *)(intptr_t)SIGUSR1);
	n = epoll_wait(ep, out, 4, -1);
	printf("a child exited, then SIGUSR1: epoll_wait = %d, data %llu\n", n,
	       (unsigned long long)out[0].data.u64);
	pthread_join(th, NULL);
	waitpid(c, NULL, 0);
	read_one(sfd, "after the child's exit");

	raise(SIGUSR1);
	if (write(p[1], "x", 1) != 1)
		return 1;
	n = epoll_wait(ep, out, 4, 1000);
	unsigned long long sum = 0;
	for (int i = 0; i < n; i++)
		sum += out[i].data.u64;
	printf("pipe and signal ready: epoll_wait = %d, data sum %llu\n", n, sum);
	printf("maxevents 1: epoll_wait = %d\n", epoll_wait(ep, out, 1, 1000));
	read_one(sfd, "drain");
	read_one(sfd, "empty");
	return 0;
}

/* signalfd_poll through poll, ppoll, select and pselect6: 0 after the timeout
 * while nothing is pending, 1 with POLLIN / the bit set once a signal is. */
static int t_sfd_poll(void)
{
	int sfd = usr_sfd(0), p[2], n;
	struct pollfd pf[2] = { { .fd = sfd, .events = POLLIN }, { .fd = -1 } };
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	struct timeval tv = { 0, 50 * 1000 };
	fd_set r;
	if (pipe(p))
		return 1;
	n = poll(pf, 1, 50);
	printf("poll, nothing pending: %d revents %#x\n", n, pf[0].revents);
	printf("ppoll, nothing pending: %d\n", ppoll(pf, 1, &ts, NULL));
	FD_ZERO(&r);
	FD_SET(sfd, &r);
	n = select(sfd + 1, &r, NULL, NULL, &tv);
	printf("select, nothing pending: %d set %d\n", n, FD_ISSET(sfd, &r));
	FD_SET(sfd, &r);
	printf("pselect, nothing pending: %d\n", pselect(sfd + 1, &r, NULL, NULL, &ts, NULL));

	raise(SIGUSR2);
	n = poll(pf, 1, 50);
	printf("poll, SIGUSR2 pending: %d revents %#x\n", n, pf[0].revents);
	n = ppoll(pf, 1, &ts, NULL);
	printf("ppoll, SIGUSR2 pending: %d revents %#x\n", n, pf[0].revents);
	FD_ZERO(&r);
	FD_SET(sfd, &r);
	tv.tv_usec = 50 * 1000;
	n = select(sfd + 1, &r, NULL, NULL, &tv);
	printf("select, SIGUSR2 pending: %d set %d\n", n, FD_ISSET(sfd, &r));
	FD_SET(sfd, &r);
	n = pselect(sfd + 1, &r, NULL, NULL, &ts, NULL);
	printf("pselect, SIGUSR2 pending: %d set %d\n", n, FD_ISSET(sfd, &r));
	pf[1].fd = p[1];
	pf[1].events = POLLOUT;
	n = poll(pf, 2, 50);
	printf("poll with a writable pipe: %d revents %#x %#x\n", n, pf[0].revents, pf[1].revents);
	read_one(sfd, "drain");

	pthread_t th;
	pthread_create(&th, NULL, send_later, (void *)(intptr_t)SIGUSR1);
	n = poll(pf, 1, -1);
	printf("poll, SIGUSR1 from a thread: %d revents %#x\n", n, pf[0].revents);
	pthread_join(th, NULL);
	read_one(sfd, "drain");
	pthread_create(&th, NULL, send_later, (void *)(intptr_t)SIGUSR2);
	FD_ZERO(&r);
	FD_SET(sfd, &r);
	n = select(sfd + 1, &r, NULL, NULL, NULL);
	printf("select, SIGUSR2 from a thread: %d set %d\n", n, FD_ISSET(sfd, &r));
	pthread_join(th, NULL);
	read_one(sfd, "drain");
	return 0;
}

/* A duplicated signalfd is the same file: dup, dup2, dup3 and fcntl(F_DUPFD_CLOEXEC)
 * numbers read the signals, also after the original number is closed. */
static int t_sfd_dup(void)
{
	int sfd = usr_sfd(SFD_NONBLOCK);
	int d = dup(sfd), d2 = fcntl(sfd, F_DUPFD_CLOEXEC, 100);
	raise(SIGUSR1);
	read_one(d, "dup");
	raise(SIGUSR2);
	read_one(d2, "F_DUPFD_CLOEXEC");
	read_one(d2, "F_DUPFD_CLOEXEC again");
	if (dup2(sfd, 50) != 50 || dup3(sfd, 51, O_CLOEXEC) != 51)
		return 1;
	close(sfd);
	raise(SIGUSR1);
	struct pollfd pf = { .fd = 50, .events = POLLIN };
	int n = poll(&pf, 1, 1000);
	printf("poll on the dup2 number: %d revents %#x\n", n, pf.revents);
	read_one(50, "dup2 after close of the original");
	raise(SIGUSR2);
	read_one(51, "dup3");
	int fd = open("/dev/null", O_RDONLY);
	dup2(fd, 51);
	char c;
	printf("dup2 of /dev/null over it: read = %zd\n", read(51, &c, 1));
	return 0;
}

/* readv of a signalfd: one record across two buffers, EINVAL below one record. */
static int t_sfd_readv(void)
{
	int sfd = usr_sfd(SFD_NONBLOCK);
	struct signalfd_siginfo si;
	char *b = (char *)&si;
	struct iovec iov[2] = { { b, 40 }, { b + 40, sizeof si - 40 } };
	union sigval v = { .sival_int = 1234 };
	sigqueue(getpid(), SIGUSR1, v);
	ssize_t n = readv(sfd, iov, 2);
	printf("readv: %zd bytes, %s, int %d\n", n, strsignal(si.ssi_signo), si.ssi_int);
	n = readv(sfd, iov, 2);
	printf("readv, empty: %zd %s\n", n, n < 0 ? strerror(errno) : "");
	iov[1].iov_len = 10;
	raise(SIGUSR2);
	n = readv(sfd, iov, 2);
	printf("readv of 50 bytes: %zd %s\n", n, n < 0 ? strerror(errno) : "");
	read_one(sfd, "still pending");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} tests[] = {
		{ "nested", t_nested },     { "siginfo", t_siginfo },   { "fault-edit", t_fault_edit },
		{ "altstack", t_altstack }, { "fp", t_fp },             { "restart", t_restart },
		{ "longjmp", t_longjmp },   { "nocldwait", t_nocldwait }, { "threads", t_threads },
		{ "stop-exec", t_stop_exec }, { "abort", t_abort },
		{ "sfd-epoll", t_sfd_epoll }, { "sfd-poll", t_sfd_poll },
		{ "sfd-dup", t_sfd_dup },     { "sfd-readv", t_sfd_readv },
	};
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned i = 0; argc == 2 && i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!strcmp(argv[1], tests[i].name))
			return tests[i].fn();
	fprintf(stderr, "usage: sigprog TEST\n");
	return 2;
}
