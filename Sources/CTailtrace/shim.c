#include <stdarg.h>
#include <stdio.h>
#include "ctailtrace.h"

static int tt_verbosity = 0;
static char tt_last[1024];

static int tt_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		va_list copy;
		va_copy(copy, ap);
		vsnprintf(tt_last, sizeof(tt_last), fmt, copy);
		va_end(copy);
	}
	if ((int)level > tt_verbosity)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void tt_libbpf_set_verbosity(int level)
{
	tt_verbosity = level;
	libbpf_set_print(tt_print);
}

const char *tt_libbpf_last_message(void)
{
	return tt_last;
}

int tt_set_rodata(struct bpf_object *obj, const char *var, const void *val, size_t size)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	struct btf *btf = bpf_object__btf(obj);
	if (!map || !btf)
		return -ENOENT;
	int sec = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (sec < 0)
		return -ENOENT;
	const struct btf_type *t = btf__type_by_id(btf, sec);
	const struct btf_var_secinfo *vs = btf_var_secinfos(t);
	size_t data_size = 0;
	char *data = (char *)bpf_map__initial_value(map, &data_size);
	if (!data)
		return -ENOENT;
	for (unsigned i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);
		if (strcmp(btf__name_by_offset(btf, v->name_off), var) != 0)
			continue;
		if (vs->size != size || vs->offset + size > data_size)
			return -EINVAL;
		memcpy(data + vs->offset, val, size);
		return 0;
	}
	return -ENOENT;
}

int tt_pop_u32(int queue_fd, __u32 *value)
{
	return bpf_map_lookup_and_delete_elem(queue_fd, NULL, value);
}

int tt_push_u32(int queue_fd, __u32 value)
{
	return bpf_map_update_elem(queue_fd, NULL, &value, BPF_ANY);
}
