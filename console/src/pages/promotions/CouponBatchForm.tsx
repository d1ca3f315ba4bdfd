import {
  Alert,
  Button,
  Fieldset,
  List,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, newIdempotencyKey } from '../../api/client';
import { DateTimeInput } from '../../ui/datetime';
import { ErrorAlert } from '../../ui/feedback';
import { createCoupons, type CouponBatchBody } from './api';
import { errorAt } from './draft';
import { isoOfLocalInput, parseList, type FieldErrors } from './kinds';

const SHOWN_CODES = 50;

/**
 * Adds a coupon batch to a promotion (POST /admin/v1/promotions/{id}/coupons): codes given (one per line) or
 * generated (count and prefix), an optional batch id, usage limits overall and per customer, and a window.
 * Field errors appear next to their inputs; the new codes are listed once created.
 */
export function CouponBatchForm({ promotionId }: { promotionId: string }) {
  const { t } = useTranslation('promotions');
  const [mode, setMode] = useState<'given' | 'generate'>('generate');
  const [codes, setCodes] = useState('');
  const [count, setCount] = useState('10');
  const [prefix, setPrefix] = useState('');
  const [batchId, setBatchId] = useState('');
  const [usageLimit, setUsageLimit] = useState('');
  const [perCustomerLimit, setPerCustomerLimit] = useState('1');
  const [validFrom, setValidFrom] = useState('');
  const [validTo, setValidTo] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});

  const create = useMutation({
    mutationFn: (body: CouponBatchBody) => createCoupons(promotionId, body, newIdempotencyKey()),
    onMutate: () => setErrors({}),
    onError: (e) => e instanceof ApiError && setErrors(e.fieldErrors('body.')),
  });

  const submit = () => {
    const local: FieldErrors = {};
    const body: CouponBatchBody = {};
    const whole = (text: string, path: string): number | null => {
      if (!text.trim()) return null;
      if (!/^\d+$/.test(text.trim())) {
        local[path] = t('problem.int');
        return null;
      }
      return Number(text.trim());
    };
    if (mode === 'given') {
      body.codes = parseList(codes);
      if (body.codes.length === 0) local.codes = t('problem.required');
    } else {
      const n = whole(count, 'generate.count');
      if (n === null && !local['generate.count']) local['generate.count'] = t('problem.required');
      body.generate = { count: n ?? 0, prefix: prefix.trim().toUpperCase() };
    }
    if (batchId.trim()) body.batchId = batchId.trim();
    const usage = whole(usageLimit, 'usageLimit');
    if (usage !== null) body.usageLimit = usage;
    const perCustomer = whole(perCustomerLimit, 'perCustomerLimit');
    if (perCustomer !== null) body.perCustomerLimit = perCustomer;
    for (const [path, value] of [
      ['validFrom', validFrom],
      ['validTo', validTo],
    ] as const) {
      if (!value.trim()) continue;
      const iso = isoOfLocalInput(value);
      if (iso === null) local[path] = t('problem.datetime');
      else body[path] = iso;
    }
    setErrors(local);
    if (Object.keys(local).length === 0) create.mutate(body);
  };

  const placed = ['codes', 'generate', 'batchId', 'usageLimit', 'perCustomerLimit', 'validFrom', 'validTo'];
  const stray = Object.entries(errors).filter(([p]) => !placed.some((q) => p === q || p.startsWith(q + '.')));
  return (
    <Fieldset legend={t('coupons.title')}>
      <Stack gap="sm">
        <SegmentedControl
          aria-label={t('coupons.mode')}
          value={mode}
          onChange={(v) => setMode(v as typeof mode)}
          data={[
            { value: 'generate', label: t('coupons.generate') },
            { value: 'given', label: t('coupons.given') },
          ]}
          w="fit-content"
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {mode === 'given' ? (
            <Textarea
              label={t('coupons.codes')}
              description={t('hint.codes')}
              autosize
              minRows={2}
              value={codes}
              onChange={(e) => setCodes(e.currentTarget.value)}
              error={errorAt(errors, 'codes')}
            />
          ) : (
            <>
              <TextInput
                label={t('coupons.count')}
                inputMode="numeric"
                value={count}
                onChange={(e) => setCount(e.currentTarget.value)}
                error={errorAt(errors, 'generate.count') ?? errorAt(errors, 'generate', ['generate.prefix'])}
              />
              <TextInput
                label={t('coupons.prefix')}
                description={t('hint.prefix')}
                value={prefix}
                onChange={(e) => setPrefix(e.currentTarget.value)}
                error={errorAt(errors, 'generate.prefix')}
              />
            </>
          )}
          <TextInput
            label={t('coupons.batchId')}
            description={t('hint.batchId')}
            value={batchId}
            onChange={(e) => setBatchId(e.currentTarget.value)}
            error={errorAt(errors, 'batchId')}
          />
          <TextInput
            label={t('coupons.usageLimit')}
            description={t('hint.usageLimit')}
            inputMode="numeric"
            value={usageLimit}
            onChange={(e) => setUsageLimit(e.currentTarget.value)}
            error={errorAt(errors, 'usageLimit')}
          />
          <TextInput
            label={t('coupons.perCustomerLimit')}
            description={t('hint.perCustomerLimit')}
            inputMode="numeric"
            value={perCustomerLimit}
            onChange={(e) => setPerCustomerLimit(e.currentTarget.value)}
            error={errorAt(errors, 'perCustomerLimit')}
          />
          <DateTimeInput
            label={t('coupons.validFrom')}
            value={validFrom}
            onChange={(e) => setValidFrom(e.currentTarget.value)}
            error={errorAt(errors, 'validFrom')}
          />
          <DateTimeInput
            label={t('coupons.validTo')}
            value={validTo}
            onChange={(e) => setValidTo(e.currentTarget.value)}
            error={errorAt(errors, 'validTo')}
          />
        </SimpleGrid>
        {stray.length > 0 ? (
          <Alert color="red" role="alert">
            {stray.map(([p, m]) => `${p ? p + ': ' : ''}${m}`).join('; ')}
          </Alert>
        ) : null}
        {create.isError && (!(create.error instanceof ApiError) || create.error.issues.length === 0) ? (
          <ErrorAlert error={create.error} />
        ) : null}
        <Button onClick={submit} loading={create.isPending} w="fit-content">
          {t('coupons.create')}
        </Button>
        <div role="status" aria-live="polite">
          {create.data ? (
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {t('coupons.created', { count: create.data.codes.length })}
              </Text>
              <List size="sm" ff="monospace">
                {create.data.codes.slice(0, SHOWN_CODES).map((c) => (
                  <List.Item key={c}>{c}</List.Item>
                ))}
              </List>
              {create.data.codes.length > SHOWN_CODES ? (
                <Text size="xs">{t('coupons.more', { count: create.data.codes.length - SHOWN_CODES })}</Text>
              ) : null}
            </Stack>
          ) : null}
        </div>
      </Stack>
    </Fieldset>
  );
}
