import {
  ActionIcon,
  Button,
  Checkbox,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { errorAt } from './draft';
import {
  kindDef,
  newKindForm,
  type FieldDef,
  type FieldErrors,
  type KindDef,
  type KindForm,
  type TierRow,
} from './kinds';

const DAYS = [1, 2, 3, 4, 5, 6, 7];

/**
 * Edits one condition or the action: its kind (a select; changing it starts the new kind's fields afresh)
 * and that kind's fields, each with the field error at `<path>.<name>` (or below it) next to it.
 */
export function KindEditor(props: {
  defs: KindDef[];
  /** `conditions` or `action`: which labels of the promotions namespace. */
  family: 'condition' | 'action';
  value: KindForm;
  onChange: (v: KindForm) => void;
  /** The body path of this item: `rule.action`, `rule.conditions.0`. */
  path: string;
  errors: FieldErrors;
  disabled: boolean;
}) {
  const { t } = useTranslation('promotions');
  const { defs, family, value, onChange, path, errors, disabled } = props;
  const def = kindDef(defs, value.kind);
  const set = (name: string, v: KindForm['values'][string]) =>
    onChange({ ...value, values: { ...value.values, [name]: v } });
  return (
    <Stack gap="sm">
      <Select
        label={t(`${family}.kind`)}
        data={defs.map((d) => ({ value: d.kind, label: t(`${family}.${d.kind}`) }))}
        value={value.kind}
        allowDeselect={false}
        disabled={disabled}
        onChange={(k) => k && k !== value.kind && onChange(newKindForm(defs, k))}
        error={errorAt(errors, `${path}.kind`)}
        data-path={`${path}.kind`}
      />
      {def.fields.length === 0 ? (
        <Text size="sm">{t('noFields')}</Text>
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {def.fields.map((f) => (
            <FieldInput
              key={f.name}
              field={f}
              kind={value.kind}
              value={value.values[f.name]}
              onChange={(v) => set(f.name, v)}
              path={`${path}.${f.name}`}
              errors={errors}
              disabled={disabled}
            />
          ))}
        </SimpleGrid>
      )}
    </Stack>
  );
}

function FieldInput(props: {
  field: FieldDef;
  kind: string;
  value: KindForm['values'][string] | undefined;
  onChange: (v: KindForm['values'][string]) => void;
  path: string;
  errors: FieldErrors;
  disabled: boolean;
}) {
  const { t } = useTranslation('promotions');
  const { field, kind, value, onChange, path, errors, disabled } = props;
  const label = t(`field.${kind}.${field.name}`);
  const text = typeof value === 'string' ? value : '';
  const optional = field.optional ? ` (${t('optional')})` : '';
  const common = { label: label + optional, disabled, 'data-path': path };
  switch (field.type) {
    case 'list':
      return (
        <Textarea
          {...common}
          description={t('hint.list')}
          autosize
          minRows={2}
          maxRows={6}
          value={text}
          onChange={(e) => onChange(e.currentTarget.value)}
          error={errorAt(errors, path)}
        />
      );
    case 'bool':
      return (
        <Checkbox
          {...common}
          mt="lg"
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
          error={errorAt(errors, path)}
        />
      );
    case 'days':
      return (
        <Checkbox.Group
          label={label + optional}
          description={t('hint.days')}
          value={(Array.isArray(value) ? (value as number[]) : []).map(String)}
          onChange={(v) => onChange(v.map(Number))}
          error={errorAt(errors, path)}
          data-path={path}
        >
          <Group gap="xs" mt={4}>
            {DAYS.map((d) => (
              <Checkbox key={d} value={String(d)} label={t(`day.${d}`)} disabled={disabled} />
            ))}
          </Group>
        </Checkbox.Group>
      );
    case 'tiers':
      return (
        <TiersInput
          label={label}
          rows={Array.isArray(value) ? (value as TierRow[]) : []}
          onChange={onChange}
          path={path}
          errors={errors}
          disabled={disabled}
        />
      );
    default: {
      const hint =
        field.type === 'money' || field.type === 'currency'
          ? t(`hint.${field.type}`)
          : field.type === 'percent'
            ? t('hint.percent')
            : field.type === 'time'
              ? t('hint.time')
              : field.type === 'text' && field.name === 'timeZone'
                ? t('hint.timeZone')
                : undefined;
      return (
        <TextInput
          {...common}
          type={field.type === 'datetime' ? 'datetime-local' : 'text'}
          inputMode={
            field.type === 'money' || field.type === 'percent'
              ? 'decimal'
              : field.type === 'int'
                ? 'numeric'
                : undefined
          }
          description={hint}
          value={text}
          onChange={(e) => onChange(e.currentTarget.value)}
          error={errorAt(errors, path)}
        />
      );
    }
  }
}

/** The tiers of `tieredSpend`: minimum spend, and an amount or a percentage saved; one row each. */
function TiersInput(props: {
  label: string;
  rows: TierRow[];
  onChange: (rows: TierRow[]) => void;
  path: string;
  errors: FieldErrors;
  disabled: boolean;
}) {
  const { t } = useTranslation('promotions');
  const { rows, onChange, path, errors, disabled } = props;
  const setRow = (i: number, row: TierRow) => onChange(rows.map((r, j) => (j === i ? row : r)));
  const listError = errorAt(
    errors,
    path,
    rows.map((_, i) => `${path}.${i}`),
  );
  return (
    <Stack gap="xs" style={{ gridColumn: '1 / -1' }} data-path={path}>
      <Text size="sm" fw={500}>
        {props.label}
      </Text>
      {rows.map((row, i) => {
        const at = `${path}.${i}`;
        const valuePath = `${at}.${row.saves === 'percent' ? 'percentBp' : 'amount'}`;
        const rowError = errorAt(errors, at, [`${at}.min`, `${at}.amount`, `${at}.percentBp`]);
        return (
          <Stack key={i} gap={4}>
            <Group align="flex-start" wrap="wrap" gap="xs">
              <TextInput
                label={t('tier.min', { n: i + 1 })}
                description={t('hint.money')}
                inputMode="decimal"
                value={row.min}
                disabled={disabled}
                onChange={(e) => setRow(i, { ...row, min: e.currentTarget.value })}
                error={errorAt(errors, `${at}.min`)}
                data-path={`${at}.min`}
              />
              <Select
                label={t('tier.saves', { n: i + 1 })}
                data={[
                  { value: 'amount', label: t('tier.amount') },
                  { value: 'percent', label: t('tier.percent') },
                ]}
                value={row.saves}
                allowDeselect={false}
                disabled={disabled}
                onChange={(v) => v && setRow(i, { ...row, saves: v as TierRow['saves'] })}
              />
              <TextInput
                label={t('tier.value', { n: i + 1 })}
                description={row.saves === 'percent' ? t('hint.percent') : t('hint.money')}
                inputMode="decimal"
                value={row.value}
                disabled={disabled}
                onChange={(e) => setRow(i, { ...row, value: e.currentTarget.value })}
                error={errorAt(errors, valuePath)}
                data-path={valuePath}
              />
              {!disabled && rows.length > 1 ? (
                <ActionIcon
                  mt={28}
                  variant="subtle"
                  color="red"
                  aria-label={t('tier.remove', { n: i + 1 })}
                  onClick={() => onChange(rows.filter((_, j) => j !== i))}
                >
                  ×
                </ActionIcon>
              ) : null}
            </Group>
            {rowError ? (
              <Text size="sm" c="red.8" role="alert">
                {rowError}
              </Text>
            ) : null}
          </Stack>
        );
      })}
      {listError ? (
        <Text size="sm" c="red.8" role="alert">
          {listError}
        </Text>
      ) : null}
      {!disabled ? (
        <Button
          variant="light"
          size="xs"
          w="fit-content"
          onClick={() => onChange([...rows, { min: '', saves: 'amount', value: '' }])}
        >
          {t('tier.add')}
        </Button>
      ) : null}
    </Stack>
  );
}
