#include "opt.h"
#include "buf.h"

#include <string.h>

void opt_start(struct optstate *s, int argc, char **argv)
{
	s->argc = argc;
	s->argv = argv;
	s->i = 1;
	s->ci = 0;
	s->arg = 0;
	s->more = 0;
	s->err[0] = '\0';
}

/* By long name (lng, len bytes) or, with lng NULL, by short name. */
static const struct opt *find(const struct optstate *s, const struct opt *opts,
			      const char *lng, int len, char shrt)
{
	for (const struct opt *t = opts; t; t = t == opts ? s->more : 0)
		for (const struct opt *o = t; o->id; o++)
			if (lng ? o->lng && (int)strlen(o->lng) == len && !strncmp(o->lng, lng, len)
				: o->shrt == shrt)
				return o;
	return 0;
}

static int fail(struct optstate *s, const char *what, const char *name,
		int len)
{
	struct buf b = BUF_INIT(s->err);

	buf_printf(&b, "%s '%.*s'", what, len, name);
	buf_cstr(&b);
	return OPT_ERR;
}

static int take_arg(struct optstate *s, const struct opt *o, const char *inl,
		    const char *name, int len)
{
	if (inl) {
		s->arg = inl;
		return o->id;
	}
	if (s->i >= s->argc)
		return fail(s, "missing argument for", name, len);
	s->arg = s->argv[s->i++];
	return o->id;
}

static int next_long(struct optstate *s, const struct opt *opts)
{
	const char *name = s->argv[s->i++];
	const char *eq = strchr(name, '=');
	int len = eq ? (int)(eq - name) : (int)strlen(name);

	const struct opt *o = find(s, opts, name + 2, len - 2, 0);

	if (!o)
		return fail(s, "unknown option", name, len);
	if (o->has_arg)
		return take_arg(s, o, eq ? eq + 1 : 0, name, len);
	if (eq)
		return fail(s, "option takes no argument:", name, len);
	return o->id;
}

static int next_short(struct optstate *s, const struct opt *opts)
{
	const char *word = s->argv[s->i];
	char c = word[s->ci];
	char name[3] = { '-', c, 0 };
	const struct opt *o = find(s, opts, 0, 0, c);
	const char *inl;

	s->ci++;
	if (!word[s->ci]) {
		s->ci = 0;
		s->i++;
	}
	if (!o)
		return fail(s, "unknown option", name, 2);
	if (!o->has_arg)
		return o->id;
	inl = s->ci ? word + s->ci : 0;
	if (s->ci) {
		s->ci = 0;
		s->i++;
	}
	return take_arg(s, o, inl, name, 2);
}

int opt_next(struct optstate *s, const struct opt *opts)
{
	const char *a;

	s->arg = 0;
	if (s->ci)
		return next_short(s, opts);
	if (s->i >= s->argc)
		return OPT_END;
	a = s->argv[s->i];
	if (a[0] != '-' || !a[1])
		return OPT_END;
	if (!strcmp(a, "--")) {
		s->i++;
		return OPT_END;
	}
	if (a[1] == '-')
		return next_long(s, opts);
	s->ci = 1;
	return next_short(s, opts);
}
