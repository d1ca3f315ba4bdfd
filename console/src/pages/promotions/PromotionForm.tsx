import {
  Alert,
  Button,
  Checkbox,
  Fieldset,
  Group,
  List,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { DateTimeInput } from '../../ui/datetime';
import { STACKINGS, STATUSES } from './api';
import { conditionKey, errorAt, kindFieldPaths, unplacedErrors, type PromotionDraft } from './draft';
import { KindEditor } from './KindEditor';
import { ACTION_KINDS, CONDITION_KINDS, newKindForm, type FieldErrors } from './kinds';

/**
 * The promotion form: the rule's terms (label, priority, stacking, window, coupon, reason), its conditions,
 * its action, its target, the status and the budget. Each input shows the field error of its body path
 * next to it; errors no input claims are listed above the form. `isNew`: the id is asked (the path names
 * the promotion); `readOnly`: nothing can be changed.
 */
export function PromotionForm(props: {
  draft: PromotionDraft;
  onChange: (d: PromotionDraft) => void;
  errors: FieldErrors;
  isNew: boolean;
  readOnly: boolean;
}) {
  const { t } = useTranslation('promotions');
  const { draft, onChange, errors, isNew, readOnly } = props;
  const set = <K extends keyof PromotionDraft>(k: K, v: PromotionDraft[K]) => onChange({ ...draft, [k]: v });
  const stray = unplacedErrors(errors, draft);
  const conditionsError = errorAt(
    errors,
    'rule.conditions',
    draft.conditions.map((_, i) => `rule.conditions.${i}`),
  );
  const actionError = errorAt(errors, 'rule.action', kindFieldPaths('action', draft.action, 'rule.action'));
  const targetError = errorAt(errors, 'rule.target', ['rule.target.segments', 'rule.target.customerIds']);
  return (
    <Stack gap="md">
      {stray.length > 0 ? (
        <Alert color="red" title={t('form.otherErrors')} role="alert">
          <List size="sm">
            {stray.map(([p, m]) => (
              <List.Item key={p}>
                {p ? `${p}: ` : ''}
                {m}
              </List.Item>
            ))}
          </List>
        </Alert>
      ) : null}

      <Fieldset legend={t('form.terms')} disabled={readOnly}>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {isNew ? (
            <TextInput
              label={t('form.id')}
              description={t('hint.id')}
              required
              value={draft.id}
              onChange={(e) => set('id', e.currentTarget.value)}
              error={errorAt(errors, 'id') ?? errorAt(errors, 'params.id')}
            />
          ) : null}
          <TextInput
            label={t('form.label')}
            required
            value={draft.label}
            onChange={(e) => set('label', e.currentTarget.value)}
            error={errorAt(errors, 'rule.label')}
          />
          <Select
            label={t('form.status')}
            data={STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))}
            value={draft.status}
            allowDeselect={false}
            onChange={(v) => v && set('status', v as PromotionDraft['status'])}
            error={errorAt(errors, 'status')}
          />
          <Select
            label={t('form.stacking')}
            description={t(`stackingHint.${draft.stacking}`)}
            data={STACKINGS.map((s) => ({ value: s, label: t(`stacking.${s}`) }))}
            value={draft.stacking}
            allowDeselect={false}
            onChange={(v) => v && set('stacking', v as PromotionDraft['stacking'])}
            error={errorAt(errors, 'rule.stacking')}
          />
          <TextInput
            label={t('form.priority')}
            description={t('hint.priority')}
            inputMode="numeric"
            value={draft.priority}
            onChange={(e) => set('priority', e.currentTarget.value)}
            error={errorAt(errors, 'rule.priority')}
          />
          <DateTimeInput
            label={t('form.validFrom')}
            description={t('hint.window')}
            value={draft.validFrom}
            onChange={(e) => set('validFrom', e.currentTarget.value)}
            error={errorAt(errors, 'rule.validFrom')}
          />
          <DateTimeInput
            label={t('form.validTo')}
            description={t('hint.window')}
            value={draft.validTo}
            onChange={(e) => set('validTo', e.currentTarget.value)}
            error={errorAt(errors, 'rule.validTo')}
          />
          <TextInput
            label={t('form.budget')}
            description={t('hint.budget')}
            inputMode="decimal"
            value={draft.budget}
            onChange={(e) => set('budget', e.currentTarget.value)}
            error={errorAt(errors, 'budgetAmount')}
          />
          <Checkbox
            mt="lg"
            label={t('form.couponRequired')}
            checked={draft.couponRequired}
            onChange={(e) => set('couponRequired', e.currentTarget.checked)}
            error={errorAt(errors, 'rule.couponRequired')}
          />
        </SimpleGrid>
        <Textarea
          mt="sm"
          label={t('form.reason')}
          description={t('hint.reason')}
          autosize
          minRows={1}
          value={draft.reason}
          onChange={(e) => set('reason', e.currentTarget.value)}
          error={errorAt(errors, 'rule.reason')}
        />
      </Fieldset>

      <Fieldset legend={t('form.conditions')} disabled={readOnly}>
        <Stack gap="sm">
          {draft.conditions.length === 0 ? <span>{t('form.noConditions')}</span> : null}
          {draft.conditions.map((c, i) => {
            const path = `rule.conditions.${i}`;
            const own = errorAt(errors, path, kindFieldPaths('conditions', c, path));
            return (
              <Fieldset
                key={c.key}
                legend={t('form.condition', { n: i + 1 })}
                variant="filled"
                data-path={path}
              >
                <KindEditor
                  defs={CONDITION_KINDS}
                  family="condition"
                  value={c}
                  onChange={(v) =>
                    set(
                      'conditions',
                      draft.conditions.map((x, j) => (j === i ? { ...v, key: c.key } : x)),
                    )
                  }
                  path={path}
                  errors={errors}
                  disabled={readOnly}
                />
                {own ? (
                  <Alert color="red" mt="sm" role="alert">
                    {own}
                  </Alert>
                ) : null}
                {!readOnly ? (
                  <Button
                    mt="sm"
                    variant="subtle"
                    color="red"
                    size="xs"
                    onClick={() =>
                      set(
                        'conditions',
                        draft.conditions.filter((_, j) => j !== i),
                      )
                    }
                  >
                    {t('form.removeCondition', { n: i + 1 })}
                  </Button>
                ) : null}
              </Fieldset>
            );
          })}
          {conditionsError ? (
            <Alert color="red" role="alert">
              {conditionsError}
            </Alert>
          ) : null}
          {!readOnly ? (
            <Group>
              <Button
                variant="light"
                onClick={() =>
                  set('conditions', [
                    ...draft.conditions,
                    { ...newKindForm(CONDITION_KINDS, 'sku'), key: conditionKey() },
                  ])
                }
              >
                {t('form.addCondition')}
              </Button>
            </Group>
          ) : null}
        </Stack>
      </Fieldset>

      <Fieldset legend={t('form.action')} disabled={readOnly}>
        <KindEditor
          defs={ACTION_KINDS}
          family="action"
          value={draft.action}
          onChange={(v) => set('action', v)}
          path="rule.action"
          errors={errors}
          disabled={readOnly}
        />
        {actionError ? (
          <Alert color="red" mt="sm" role="alert">
            {actionError}
          </Alert>
        ) : null}
      </Fieldset>

      <Fieldset legend={t('form.target')} disabled={readOnly}>
        <Switch
          label={t('form.targeted')}
          checked={draft.targeted}
          onChange={(e) => set('targeted', e.currentTarget.checked)}
        />
        {draft.targeted ? (
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm" mt="sm">
            <Textarea
              label={t('form.targetSegments')}
              description={t('hint.list')}
              autosize
              minRows={2}
              value={draft.targetSegments}
              onChange={(e) => set('targetSegments', e.currentTarget.value)}
              error={errorAt(errors, 'rule.target.segments')}
            />
            <Textarea
              label={t('form.targetCustomerIds')}
              description={t('hint.list')}
              autosize
              minRows={2}
              value={draft.targetCustomerIds}
              onChange={(e) => set('targetCustomerIds', e.currentTarget.value)}
              error={errorAt(errors, 'rule.target.customerIds')}
            />
          </SimpleGrid>
        ) : null}
        {targetError ? (
          <Alert color="red" mt="sm" role="alert">
            {targetError}
          </Alert>
        ) : null}
      </Fieldset>
    </Stack>
  );
}
