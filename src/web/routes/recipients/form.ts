/**
 * The recipient form's fields, checked by the API's schemas (`createBody`, `patchBody` — their address check is
 * `checkAddress`, the one `finrep recipients import` uses), and their problems in the page's words.
 */
import type { z } from 'zod';
import type { RecipientRow } from '../../../db/queries/recipients.ts';
import type { PageContext } from '../../views/layout.tsx';
import type { RecipientFormState } from '../../views/recipients-form.tsx';
import { reasonText } from '../../views/recipients-words.ts';
import { createBody, patchBody } from '../api-recipients.ts';

/** The form's fields as posted. */
export type RecipientFormBody = { email?: string; name?: string; groups?: string } | undefined;

/** Groups as typed in one field: `研究部;投资部` (also `,` `，` `；` `|` `、` or one per line). */
export const splitGroups = (v: string) =>
  v
    .split(/[;,，；|｜、\r\n]/)
    .map((g) => g.trim())
    .filter(Boolean);

/** The form as posted, for showing it again. */
export function formValues(body: RecipientFormBody): RecipientFormState['values'] {
  return { email: String(body?.email ?? ''), name: String(body?.name ?? ''), groups: String(body?.groups ?? '') };
}

/** The form showing a recipient as it is. */
export function formOf(r: RecipientRow): RecipientFormState {
  return { values: { email: r.email, name: r.name ?? '', groups: r.groups.join(';') }, errors: {} };
}

function check<T>(
  ctx: PageContext,
  schema: z.ZodType<T>,
  input: unknown,
): { ok: T } | { errors: RecipientFormState['errors'] } {
  const r = schema.safeParse(input);
  if (r.success) return { ok: r.data };
  const errors: RecipientFormState['errors'] = {};
  for (const issue of r.error.issues) {
    const field = issue.path[0];
    if (field === 'email') errors.email ??= reasonText(ctx, issue.message);
    else if (field === 'name') errors.name ??= ctx.t('recipients.nameInvalid');
    else errors.groups ??= ctx.t('recipients.groupsInvalid');
  }
  return { errors };
}

/** A new recipient from the form, or its problems. */
export function checkNew(ctx: PageContext, v: RecipientFormState['values']) {
  return check(ctx, createBody, { email: v.email, name: v.name.trim() || null, groups: splitGroups(v.groups) });
}

/** A recipient's new name and groups from the form, or their problems. */
export function checkEdit(ctx: PageContext, v: RecipientFormState['values']) {
  return check(ctx, patchBody, { name: v.name.trim() || null, groups: splitGroups(v.groups) });
}
