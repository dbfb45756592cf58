/* fault: named fault-injection points. See fault.h. */
#define _POSIX_C_SOURCE 200809L
#include "base/fault.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"

struct fault_state {
	enum fault_action action;
	int delay_ms;
	int skip;
	int count; /* 0 = forever */
	int fired;
};

static const char *names[FAULT__COUNT] = {
#define X(e, n) n,
	FAULT_POINTS(X)
#undef X
};

static struct fault_state points[FAULT__COUNT];
static atomic_int armed_count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t env_once = PTHREAD_ONCE_INIT;

const char *fault_name(enum fault_point p) { return p < FAULT__COUNT ? names[p] : "?"; }

static void load_env(void)
{
	const char *e = getenv("STRATA_FAULTS");
	if (e && *e && fault_arm_spec(e) != ERR_OK)
		fprintf(stderr, "STRATA_FAULTS: bad spec '%s'\n", e);
}

void fault_arm(enum fault_point p, enum fault_action a, int delay_ms, int skip, int count)
{
	pthread_mutex_lock(&lock);
	int was = points[p].action != FAULT_OFF;
	points[p] = (struct fault_state){a, delay_ms, skip, count, 0};
	int is = a != FAULT_OFF;
	atomic_fetch_add(&armed_count, is - was);
	pthread_mutex_unlock(&lock);
}

void fault_disarm_all(void)
{
	pthread_mutex_lock(&lock);
	memset(points, 0, sizeof(points));
	atomic_store(&armed_count, 0);
	pthread_mutex_unlock(&lock);
}

int fault_fired(enum fault_point p)
{
	pthread_mutex_lock(&lock);
	int n = points[p].fired;
	pthread_mutex_unlock(&lock);
	return n;
}

int fault_arm_spec(const char *spec)
{
	char copy[1024];
	snprintf(copy, sizeof(copy), "%s", spec);
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq)
			return err_set(ERR_BAD_INPUT, "fault spec '%s' lacks '='", item);
		*eq = '\0';
		int p = -1;
		for (int i = 0; i < FAULT__COUNT; i++)
			if (!strcmp(names[i], item))
				p = i;
		if (p < 0)
			return err_set(ERR_BAD_INPUT, "unknown fault point '%s'", item);
		char *args = eq + 1;
		int nums[3] = {0, 0, -1};
		char act[16] = "";
		char *colon = strchr(args, ':');
		size_t alen = colon ? (size_t)(colon - args) : strlen(args);
		if (alen >= sizeof(act))
			return err_set(ERR_BAD_INPUT, "bad fault action");
		memcpy(act, args, alen);
		int n = 0;
		while (colon && n < 3) {
			nums[n++] = atoi(colon + 1);
			colon = strchr(colon + 1, ':');
		}
		enum fault_action a;
		int delay = 0, skip, count;
		if (!strcmp(act, "fail")) {
			a = FAULT_FAIL;
			skip = nums[0];
			count = n >= 2 ? nums[1] : 0;
		} else if (!strcmp(act, "kill")) {
			a = FAULT_KILL;
			skip = nums[0];
			count = 1;
		} else if (!strcmp(act, "delay")) {
			a = FAULT_DELAY;
			delay = nums[0];
			skip = n >= 2 ? nums[1] : 0;
			count = n >= 3 ? nums[2] : 0;
		} else if (!strcmp(act, "off")) {
			a = FAULT_OFF;
			skip = count = 0;
		} else {
			return err_set(ERR_BAD_INPUT, "unknown fault action '%s'", act);
		}
		fault_arm((enum fault_point)p, a, delay, skip, count);
	}
	return ERR_OK;
}

int fault_hit(enum fault_point p)
{
	pthread_once(&env_once, load_env);
	if (atomic_load_explicit(&armed_count, memory_order_relaxed) == 0)
		return ERR_OK;
	pthread_mutex_lock(&lock);
	struct fault_state *s = &points[p];
	enum fault_action a = FAULT_OFF;
	int delay = 0;
	if (s->action != FAULT_OFF) {
		if (s->skip > 0) {
			s->skip--;
		} else {
			a = s->action;
			delay = s->delay_ms;
			s->fired++;
			if (s->count > 0 && s->fired >= s->count) {
				s->action = FAULT_OFF;
				atomic_fetch_sub(&armed_count, 1);
			}
		}
	}
	pthread_mutex_unlock(&lock);
	switch (a) {
	case FAULT_FAIL:
		return err_set(ERR_IO, "injected fault at %s", names[p]);
	case FAULT_DELAY:
		clock_sleep_ms(delay);
		return ERR_OK;
	case FAULT_KILL:
		fprintf(stderr, "injected crash at %s\n", names[p]);
		fflush(stderr);
		raise(SIGKILL);
		return ERR_INTERNAL;
	default:
		return ERR_OK;
	}
}
