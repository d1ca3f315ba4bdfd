import {
  Button,
  Checkbox,
  Group,
  Modal,
  NumberInput,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, newIdempotencyKey } from '../../api/client';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { DateTimeInput, isoOfLocalInput } from '../../ui/datetime';
import { useDialogState } from '../../ui/dialog-state';
import { ErrorAlert } from '../../ui/feedback';
import { purposeLabel } from '../../ui/labels';
import {
  CONTACT_CHANNELS,
  CONTACT_TOPICS,
  locations,
  mergeCustomers,
  recordInteraction,
  searchCustomers,
  setConsent,
  setPreferences,
  unlinkIdentifier,
  unmergeCustomers,
  updateProfile,
  type ConsentPurpose,
  type ContactChannel,
  type ContactTopic,
  type IdentifierKind,
  type SearchHit,
} from './api';
import { useCustomer } from './context';
import { SearchForm, SearchResults } from './SearchView';

/**
 * The field errors of a refusal, by field (`body.` / `input.` cut off); empty for anything else. The rest of
 * the refusal is shown with ErrorAlert.
 */
function fieldErrorsOf(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return {};
  const out = e.fieldErrors('body.');
  for (const [k, v] of Object.entries(out)) if (k.startsWith('input.')) out[k.slice('input.'.length)] ??= v;
  return out;
}

/** A refusal, unless its every issue is shown next to a field already. */
function FormError({ error, shown }: { error: unknown; shown: string[] }) {
  if (!error) return null;
  const fields = Object.keys(fieldErrorsOf(error));
  if (fields.length > 0 && fields.every((f) => shown.includes(f))) return null;
  return <ErrorAlert error={error} />;
}

/** Records a service contact or a note on her timeline; one idempotency key per opened dialog. */
function RecordContactModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const { t } = useTranslation('customers');
  const { profile, changed } = useCustomer();
  const [kind, setKind] = useState<'SERVICE_CONTACT' | 'NOTE'>('SERVICE_CONTACT');
  const [note, setNote] = useState('');
  const [key] = useState(newIdempotencyKey);
  const m = useMutation({
    mutationFn: () => recordInteraction(profile.id, kind, note, key),
    onSuccess: () => {
      changed(t('done.contact'));
      onClose();
    },
  });
  const errors = fieldErrorsOf(m.error);
  const noteError = errors.note;
  return (
    <ConfirmDialog
      opened={opened}
      onClose={onClose}
      title={t('contact.title')}
      confirmLabel={t('contact.submit')}
      busy={m.isPending}
      onConfirm={() => m.mutate()}
    >
      <Select
        label={t('contact.kind')}
        value={kind}
        onChange={(v) => setKind(v === 'NOTE' ? 'NOTE' : 'SERVICE_CONTACT')}
        data={[
          { value: 'SERVICE_CONTACT', label: t('kind.SERVICE_CONTACT') },
          { value: 'NOTE', label: t('kind.NOTE') },
        ]}
        allowDeselect={false}
      />
      <Textarea
        label={t('contact.note')}
        description={t('contact.noteHint')}
        value={note}
        onChange={(e) => setNote(e.currentTarget.value)}
        error={noteError}
        autosize
        minRows={3}
        maxLength={2000}
        required
        data-autofocus
      />
      {noteError ? null : <FormError error={m.error} shown={['note']} />}
    </ConfirmDialog>
  );
}

/** An attribute's value as the form edits it: JSON text → plain text (arrays comma-separated). */
function attributeText(profileAttrs: Array<{ name: string; value: string }>, name: string): string {
  const raw = profileAttrs.find((a) => a.name === name)?.value;
  if (raw === undefined) return '';
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v)) return v.map(String).join(', ');
    return typeof v === 'string' ? v : JSON.stringify(v);
  } catch {
    return raw;
  }
}

/** Corrects her display name and attributes: only what changed is sent; an emptied field is removed. */
function ProfileModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const { t } = useTranslation('customers');
  const { profile, changed } = useCustomer();
  const initial = {
    displayName: profile.displayName ?? '',
    birthday: attributeText(profile.attributes, 'birthday'),
    homeStore: attributeText(profile.attributes, 'homeStore'),
    segments: attributeText(profile.attributes, 'segments'),
    preferredLanguage: attributeText(profile.attributes, 'preferredLanguage'),
  };
  const [form, setForm] = useState(initial);
  const stores = useQuery({ queryKey: ['locations'], queryFn: locations, staleTime: 300_000 });
  const m = useMutation({
    mutationFn: () => {
      const attributes: Record<string, unknown> = {};
      const text = (v: string) => (v.trim() === '' ? null : v.trim());
      if (form.birthday !== initial.birthday) attributes.birthday = text(form.birthday);
      if (form.homeStore !== initial.homeStore) attributes.homeStore = text(form.homeStore);
      if (form.preferredLanguage !== initial.preferredLanguage)
        attributes.preferredLanguage = text(form.preferredLanguage);
      if (form.segments !== initial.segments)
        attributes.segments =
          form.segments.trim() === ''
            ? null
            : form.segments
                .split(',')
                .map((s) => s.trim())
                .filter((s) => s !== '');
      return updateProfile(profile.id, {
        ...(form.displayName !== initial.displayName ? { displayName: text(form.displayName) } : {}),
        ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
      });
    },
    onSuccess: () => {
      changed(t('done.profile'));
      onClose();
    },
  });
  const errors = fieldErrorsOf(m.error);
  const fieldError = (name: string) =>
    errors[name] ?? Object.entries(errors).find(([k]) => k.startsWith(`${name}.`))?.[1];
  const set = (name: keyof typeof form) => (v: string) => setForm((f) => ({ ...f, [name]: v }));
  return (
    <ConfirmDialog
      opened={opened}
      onClose={onClose}
      title={t('profile.title')}
      confirmLabel={t('profile.submit')}
      busy={m.isPending}
      onConfirm={() => m.mutate()}
    >
      <TextInput
        label={t('field.name')}
        value={form.displayName}
        onChange={(e) => set('displayName')(e.currentTarget.value)}
        error={fieldError('displayName')}
        data-autofocus
      />
      <TextInput
        label={t('attr.birthday')}
        description={t('profile.birthdayHint')}
        value={form.birthday}
        onChange={(e) => set('birthday')(e.currentTarget.value)}
        error={fieldError('attributes.birthday')}
      />
      <Select
        label={t('attr.homeStore')}
        value={form.homeStore || null}
        onChange={(v) => set('homeStore')(v ?? '')}
        data={(stores.data ?? []).map((l) => ({ value: l.id, label: `${l.name} (${l.id})` }))}
        error={fieldError('attributes.homeStore')}
        clearable
        searchable
      />
      <TextInput
        label={t('attr.segments')}
        description={t('profile.segmentsHint')}
        value={form.segments}
        onChange={(e) => set('segments')(e.currentTarget.value)}
        error={fieldError('attributes.segments')}
      />
      <TextInput
        label={t('attr.preferredLanguage')}
        description={t('profile.languageHint')}
        value={form.preferredLanguage}
        onChange={(e) => set('preferredLanguage')(e.currentTarget.value)}
        error={fieldError('attributes.preferredLanguage')}
      />
      <FormError
        error={m.error}
        shown={Object.keys(errors).filter((k) => k === 'displayName' || k.startsWith('attributes.'))}
      />
    </ConfirmDialog>
  );
}

/** Grants or withdraws one consent, with its source and (granted) when it lapses. */
export function ConsentButton({ purpose, granted }: { purpose: ConsentPurpose; granted: boolean }) {
  const { t } = useTranslation('customers');
  const { profile, changed } = useCustomer();
  const [dialog, showDialog, closeDialog] = useDialogState<true>();
  const opened = dialog !== null;
  const [grant, setGrant] = useState(!granted);
  const [source, setSource] = useState('');
  const [expires, setExpires] = useState('');
  const m = useMutation({
    mutationFn: () =>
      setConsent(profile.id, {
        purpose,
        granted: grant,
        source: source.trim() === '' ? null : source.trim(),
        expiresAt: grant ? isoOfLocalInput(expires) : null,
      }),
    onSuccess: () => {
      changed(t('done.consent'));
      closeDialog();
    },
  });
  const errors = fieldErrorsOf(m.error);
  return (
    <>
      <Button size="xs" variant="default" onClick={() => showDialog(true)}>
        {t('consent.change', { purpose: purposeLabel(t, purpose) })}
      </Button>
      {opened ? (
        <ConfirmDialog
          opened
          onClose={() => closeDialog()}
          title={t('consent.title', { purpose: purposeLabel(t, purpose) })}
          confirmLabel={t('consent.submit')}
          busy={m.isPending}
          onConfirm={() => m.mutate()}
        >
          <Switch
            label={t('consent.granted')}
            checked={grant}
            onChange={(e) => setGrant(e.currentTarget.checked)}
          />
          <TextInput
            label={t('consent.source')}
            description={t('consent.sourceHint')}
            value={source}
            onChange={(e) => setSource(e.currentTarget.value)}
            error={errors.source}
            maxLength={200}
          />
          {grant ? (
            <DateTimeInput
              label={t('consent.expiresAt')}
              description={t('consent.expiresHint')}
              value={expires}
              onChange={(e) => setExpires(e.currentTarget.value)}
              error={errors.expiresAt}
            />
          ) : null}
          <FormError error={m.error} shown={['source', 'expiresAt']} />
        </ConfirmDialog>
      ) : null}
    </>
  );
}

type PreferenceForm = Record<ContactChannel, { topics: ContactTopic[]; maxPerWeek: number | '' }>;

/** Sets how she wants to be contacted: per contact channel, the topics and how often at most. */
export function PreferencesButton() {
  const { t } = useTranslation('customers');
  const { profile, changed } = useCustomer();
  const [dialog, showDialog, closeDialog] = useDialogState<true>();
  const opened = dialog !== null;
  const initial = Object.fromEntries(
    CONTACT_CHANNELS.map((c) => {
      const p = profile.preferences.channels.find((x) => x.channel === c);
      return [c, { topics: p?.topics ?? [], maxPerWeek: p?.maxPerWeek ?? '' }];
    }),
  ) as PreferenceForm;
  const [form, setForm] = useState(initial);
  const m = useMutation({
    mutationFn: () =>
      setPreferences(
        profile.id,
        CONTACT_CHANNELS.map((c) => ({
          channel: c,
          topics: form[c].topics,
          maxPerWeek: form[c].maxPerWeek === '' ? null : form[c].maxPerWeek,
        })),
      ),
    onSuccess: () => {
      changed(t('done.preferences'));
      closeDialog();
    },
  });
  const errors = fieldErrorsOf(m.error);
  const errorOf = (i: number) => Object.entries(errors).find(([k]) => k.startsWith(`channels.${i}.`))?.[1];
  return (
    <>
      <Button
        size="xs"
        variant="default"
        onClick={() => {
          setForm(initial);
          showDialog(true);
        }}
      >
        {t('prefs.change')}
      </Button>
      {opened ? (
        <ConfirmDialog
          opened
          onClose={() => closeDialog()}
          title={t('prefs.title')}
          confirmLabel={t('prefs.submit')}
          busy={m.isPending}
          onConfirm={() => m.mutate()}
        >
          {CONTACT_CHANNELS.map((c, i) => (
            <Stack key={c} gap={6}>
              <Checkbox.Group
                label={t(`contact.${c}`)}
                value={form[c].topics}
                onChange={(v) => setForm((f) => ({ ...f, [c]: { ...f[c], topics: v as ContactTopic[] } }))}
                error={errorOf(i)}
              >
                <Group gap="md" mt={4}>
                  {CONTACT_TOPICS.map((topic) => (
                    <Checkbox key={topic} value={topic} label={t(`topic.${topic}`)} />
                  ))}
                </Group>
              </Checkbox.Group>
              <NumberInput
                label={t('prefs.maxPerWeek', { channel: t(`contact.${c}`) })}
                value={form[c].maxPerWeek}
                onChange={(v) =>
                  setForm((f) => ({ ...f, [c]: { ...f[c], maxPerWeek: typeof v === 'number' ? v : '' } }))
                }
                min={0}
                allowDecimal={false}
                w={220}
              />
            </Stack>
          ))}
          <FormError error={m.error} shown={[]} />
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/** Unlinks one identifier after a confirmation. */
export function UnlinkButton({ kind, value }: { kind: IdentifierKind; value: string }) {
  const { t } = useTranslation('customers');
  const { profile, changed } = useCustomer();
  const [dialog, showDialog, closeDialog] = useDialogState<true>();
  const opened = dialog !== null;
  const m = useMutation({
    mutationFn: () => unlinkIdentifier(profile.id, kind, value),
    onSuccess: () => {
      changed(t('done.unlink', { value }));
      closeDialog();
    },
  });
  return (
    <>
      <Button
        size="xs"
        variant="default"
        onClick={() => showDialog(true)}
        aria-label={t('unlink.button', { value })}
        title={t('unlink.button', { value })}
        style={{ flexShrink: 0 }}
      >
        {t('unlink.submit')}
      </Button>
      {opened ? (
        <ConfirmDialog
          opened
          onClose={() => closeDialog()}
          title={t('unlink.title')}
          confirmLabel={t('unlink.submit')}
          busy={m.isPending}
          onConfirm={() => m.mutate()}
          danger
        >
          <Text>{t('unlink.confirm', { kind: t(`idKind.${kind}`), value })}</Text>
          <FormError error={m.error} shown={[]} />
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/** Undoes a merge (within 30 days) after a confirmation. */
export function UndoMergeButton({ mergeId }: { mergeId: string }) {
  const { t } = useTranslation('customers');
  const { profile, changed, noteMerge } = useCustomer();
  const [dialog, showDialog, closeDialog] = useDialogState<true>();
  const opened = dialog !== null;
  const m = useMutation({
    mutationFn: () => unmergeCustomers(mergeId),
    onSuccess: () => {
      noteMerge({ undone: mergeId });
      changed(t('done.unmerge', { mergeId }));
      closeDialog();
    },
  });
  return (
    <>
      <Button size="xs" variant="default" onClick={() => showDialog(true)}>
        {t('unmerge.button', { mergeId })}
      </Button>
      {opened ? (
        <ConfirmDialog
          opened
          onClose={() => closeDialog()}
          title={t('unmerge.title')}
          confirmLabel={t('unmerge.submit')}
          busy={m.isPending}
          onConfirm={() => m.mutate()}
          danger
        >
          <Text>{t('unmerge.confirm', { mergeId, name: profile.displayName ?? t('noName') })}</Text>
          <FormError error={m.error} shown={[]} />
        </ConfirmDialog>
      ) : null}
    </>
  );
}

/**
 * Merges another profile into hers: find the other profile, then confirm with both names. One idempotency key
 * per opened dialog.
 */
function MergeModal({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const { t } = useTranslation('customers');
  const { profile, changed, noteMerge } = useCustomer();
  const [query, setQuery] = useState('');
  const [other, setOther] = useState<SearchHit | null>(null);
  const [key] = useState(newIdempotencyKey);
  const found = useQuery({
    queryKey: ['customers', 'search', query],
    queryFn: () => searchCustomers(query),
    enabled: query.length >= 2,
    retry: false,
  });
  const m = useMutation({
    mutationFn: (mergedId: string) => mergeCustomers(profile.id, mergedId, key),
    onSuccess: (mergeId) => {
      noteMerge({ merged: mergeId });
      changed(t('done.merge', { mergeId }));
      onClose();
    },
  });
  const name = profile.displayName ?? t('noName');
  if (other)
    return (
      <ConfirmDialog
        opened={opened}
        onClose={onClose}
        title={t('merge.confirmTitle')}
        confirmLabel={t('merge.submit')}
        busy={m.isPending}
        onConfirm={() => m.mutate(other.id)}
        danger
      >
        <Table aria-label={t('merge.both')} withTableBorder>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th scope="row">{t('merge.survivor')}</Table.Th>
              <Table.Td>{name}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th scope="row">{t('merge.merged')}</Table.Th>
              <Table.Td>{other.displayName ?? t('noName')}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
        <Text>{t('merge.confirm', { survivor: name, merged: other.displayName ?? t('noName') })}</Text>
        <Button variant="subtle" onClick={() => setOther(null)} w="fit-content">
          {t('merge.pickAnother')}
        </Button>
        <FormError error={m.error} shown={[]} />
      </ConfirmDialog>
    );
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={t('merge.title')}
      size="lg"
      closeButtonProps={{ 'aria-label': t('close') }}
    >
      <Stack>
        <Text>{t('merge.intro', { name })}</Text>
        <SearchForm initial={query} onSubmit={setQuery} label={t('merge.find')} />
        {query.length < 2 ? null : found.isPending ? null : found.isError ? (
          <ErrorAlert error={found.error} />
        ) : (
          <SearchResults
            hits={found.data.filter((h) => h.id !== profile.id)}
            action={(h) => (
              <Button size="xs" variant="default" onClick={() => setOther(h)}>
                {t('merge.choose', { name: h.displayName ?? t('noName') })}
              </Button>
            )}
          />
        )}
      </Stack>
    </Modal>
  );
}

/** The actions on her profile as a whole; offered only to a key that may act on customers. */
export function ActionBar() {
  const { t } = useTranslation('customers');
  const { canWrite } = useCustomer();
  const [open, setOpen, close] = useDialogState<'contact' | 'profile' | 'merge'>();
  if (!canWrite) return null;
  return (
    <Group gap="sm" wrap="wrap" role="group" aria-label={t('actions.label')}>
      <Button onClick={() => setOpen('contact')}>{t('actions.contact')}</Button>
      <Button variant="default" onClick={() => setOpen('profile')}>
        {t('actions.profile')}
      </Button>
      <Button variant="default" onClick={() => setOpen('merge')}>
        {t('actions.merge')}
      </Button>
      {open === 'contact' ? <RecordContactModal opened onClose={close} /> : null}
      {open === 'profile' ? <ProfileModal opened onClose={close} /> : null}
      {open === 'merge' ? <MergeModal opened onClose={close} /> : null}
    </Group>
  );
}
