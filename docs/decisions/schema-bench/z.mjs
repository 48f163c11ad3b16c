import * as z from 'zod';
const S = z.strictObject({
  path: z.string().min(1),
  ids: z.array(z.number().int().min(1)).max(5000).optional(),
  policy: z.enum(['quick', 'full']).optional(),
  k: z.number().int().min(1).max(50).optional(),
});
export function parse(x) {
  const r = S.safeParse(x);
  if (!r.success) throw new Error(r.error.issues[0].message);
  return r.data;
}
