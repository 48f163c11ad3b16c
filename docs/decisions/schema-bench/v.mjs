import * as v from 'valibot';
const S = v.strictObject({
  path: v.pipe(v.string(), v.minLength(1)),
  ids: v.optional(v.pipe(v.array(v.pipe(v.number(), v.integer(), v.minValue(1))), v.maxLength(5000))),
  policy: v.optional(v.picklist(['quick', 'full'])),
  k: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(50))),
});
export function parse(x) {
  const r = v.safeParse(S, x);
  if (!r.success) throw new Error(r.issues[0].message);
  return r.output;
}
