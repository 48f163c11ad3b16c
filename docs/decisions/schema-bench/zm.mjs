import * as z from 'zod/mini';
const S = z.strictObject({
  path: z.string().check(z.minLength(1)),
  ids: z.optional(z.array(z.number().check(z.int(), z.minimum(1))).check(z.maxLength(5000))),
  policy: z.optional(z.enum(['quick', 'full'])),
  k: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(50))),
});
export function parse(x) {
  const r = S.safeParse(x);
  if (!r.success) throw new Error(r.error.issues[0].message);
  return r.data;
}
