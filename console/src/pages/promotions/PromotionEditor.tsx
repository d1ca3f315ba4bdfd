import { Alert, Anchor, Button, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { ApiError, newIdempotencyKey } from '../../api/client';
import { useAccess } from '../../api/session';
import { ConfirmDialog } from '../../ui/ConfirmDialog';
import { ErrorAlert, Loading } from '../../ui/feedback';
import { archivePromotion, getPromotion, putPromotion, type Promotion, type PromotionBody } from './api';
import { CouponBatchForm } from './CouponBatchForm';
import { bodyOf, draftOf, emptyDraft, type PromotionDraft } from './draft';
import type { FieldErrors, Problems } from './kinds';
import { PreviewPanel } from './PreviewPanel';
import { PromotionForm } from './PromotionForm';
import { BudgetUse } from './PromotionList';

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A new promotion (`/promotions/new`) or a saved one (`/promotions/:id`), loaded first. */
export function PromotionEditor({ isNew }: { isNew: boolean }) {
  const { t } = useTranslation('promotions');
  const { id = '' } = useParams();
  const one = useQuery({
    queryKey: ['promotions', 'one', id],
    queryFn: () => getPromotion(id),
    enabled: !isNew,
  });
  const back = (
    <Anchor component={Link} to="/promotions">
      ← {t('editor.back')}
    </Anchor>
  );
  if (isNew) return <EditorBody key="new" saved={null} back={back} />;
  if (one.isPending) return <Loading />;
  if (one.isError)
    return (
      <Stack>
        {back}
        <ErrorAlert error={one.error} />
      </Stack>
    );
  return <EditorBody key={`${one.data.id}`} saved={one.data} back={back} />;
}

function EditorBody({ saved, back }: { saved: Promotion | null; back: React.ReactNode }) {
  const { t } = useTranslation('promotions');
  const { can } = useAccess();
  const writer = can('promotions', true);
  const navigate = useNavigate();
  const queries = useQueryClient();
  const created = (useLocation().state as { savedRevision?: number } | null)?.savedRevision;
  const [draft, setDraft] = useState<PromotionDraft>(() => (saved ? draftOf(saved) : emptyDraft()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [confirmArchive, setConfirmArchive] = useState(false);
  /** What the last action did (a promotion just created arrives with the revision it was saved at). */
  const [notice, setNotice] = useState<{ saved: number } | 'archived' | null>(
    created === undefined ? null : { saved: created },
  );
  const statusRef = useRef<HTMLDivElement>(null);
  const isNew = saved === null;
  const promotionId = isNew ? draft.id.trim() : saved.id;

  const messagesOf = (problems: Problems): FieldErrors =>
    Object.fromEntries(Object.entries(problems).map(([p, m]) => [p, t(m.key, m.values ?? {})]));

  /** The body to send, or null after showing the form's own problems next to their fields. */
  const checkedBody = (): PromotionBody | null => {
    const { body, problems } = bodyOf(draft);
    if (isNew && !ID.test(draft.id.trim()))
      problems.id = { key: draft.id.trim() ? 'problem.id' : 'problem.required' };
    if (Object.keys(problems).length > 0) {
      setErrors(messagesOf(problems));
      return null;
    }
    return body;
  };

  const save = useMutation({
    mutationFn: (body: PromotionBody) => putPromotion(promotionId, body, newIdempotencyKey()),
    onMutate: () => {
      setErrors({});
      setNotice(null);
    },
    onSuccess: async (r) => {
      setNotice({ saved: r.revision });
      await queries.invalidateQueries({ queryKey: ['promotions'] });
      if (isNew)
        void navigate(`/promotions/${encodeURIComponent(r.promotion.id)}`, {
          replace: true,
          state: { savedRevision: r.revision },
        });
    },
    onError: (e) => {
      if (e instanceof ApiError && e.issues.length > 0) setErrors(e.fieldErrors('body.'));
    },
  });

  const archive = useMutation({
    mutationFn: () => archivePromotion(promotionId, newIdempotencyKey()),
    onMutate: () => setNotice(null),
    onSuccess: async () => {
      setNotice('archived');
      setConfirmArchive(false);
      setDraft((d) => ({ ...d, status: 'ARCHIVED' }));
      await queries.invalidateQueries({ queryKey: ['promotions'] });
    },
  });

  const errorCount = Object.keys(errors).length;
  return (
    <Stack gap="md">
      {back}
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <Stack gap={2}>
          <Title order={2} size="h3">
            {isNew ? t('editor.newTitle') : saved.rule.label}
          </Title>
          {!isNew ? (
            <Text size="sm">{t('editor.meta', { id: saved.id, revision: saved.revision })}</Text>
          ) : null}
        </Stack>
        {!isNew ? (
          <Paper withBorder p="sm" miw={240}>
            <Text size="sm" fw={500}>
              {t('editor.budget')}
            </Text>
            <BudgetUse spent={saved.budgetSpent} amount={saved.budgetAmount} label={saved.rule.label} />
          </Paper>
        ) : null}
      </Group>

      {!writer ? <Alert color="blue">{t('editor.readOnly')}</Alert> : null}

      <div ref={statusRef} role="status" aria-live="polite">
        {errorCount > 0 ? (
          <Alert color="red" title={t('editor.problems', { count: errorCount })}>
            {t('editor.problemsHint')}
          </Alert>
        ) : notice === 'archived' ? (
          <Alert color="green">{t('editor.archived')}</Alert>
        ) : notice ? (
          <Alert color="green">{t('editor.saved', { revision: notice.saved })}</Alert>
        ) : null}
      </div>
      {save.isError && !(save.error instanceof ApiError && save.error.issues.length > 0) ? (
        <ErrorAlert error={save.error} />
      ) : null}
      {archive.isError ? <ErrorAlert error={archive.error} /> : null}

      <PromotionForm draft={draft} onChange={setDraft} errors={errors} isNew={isNew} readOnly={!writer} />

      {writer ? (
        <Group>
          <Button
            onClick={() => {
              const body = checkedBody();
              if (body) save.mutate(body);
            }}
            loading={save.isPending}
          >
            {isNew ? t('editor.create') : t('editor.save')}
          </Button>
          {!isNew && saved.status !== 'ARCHIVED' && notice !== 'archived' ? (
            <Button color="red" variant="outline" onClick={() => setConfirmArchive(true)}>
              {t('editor.archive')}
            </Button>
          ) : null}
        </Group>
      ) : null}

      <PreviewPanel
        promotionId={promotionId || 'draft'}
        draft={checkedBody}
        onDraftErrors={(e) => setErrors(e)}
      />

      {writer && !isNew ? (
        saved.rule.couponRequired ? (
          <CouponBatchForm promotionId={saved.id} />
        ) : (
          <Alert color="blue" title={t('coupons.title')}>
            {t('coupons.needsCoupon')}
          </Alert>
        )
      ) : null}

      <ConfirmDialog
        opened={confirmArchive}
        onClose={() => setConfirmArchive(false)}
        title={t('editor.archiveTitle')}
        keepLabel={t('editor.keep')}
        confirmLabel={t('editor.archiveConfirm')}
        onConfirm={() => archive.mutate()}
        busy={archive.isPending}
        size="md"
        danger
      >
        <Text size="sm">{t('editor.archiveBody', { label: saved?.rule.label ?? '' })}</Text>
      </ConfirmDialog>
    </Stack>
  );
}
