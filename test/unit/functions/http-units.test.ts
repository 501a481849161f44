import './support/env.js';
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../functions/api/config.js';
import { mapError } from '../../../functions/api/http/error-mapper.js';
import {
  MalformedJsonError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  RouteNotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from '../../../functions/api/http/errors.js';
import { actorFromClaims, parseAccountIds, parseGroups } from '../../../functions/api/http/identity.js';
import {
  FieldLockedError,
  ForbiddenError,
  IllegalTransitionError,
  NotFoundError,
  PreconditionRequiredError,
  ValidationError,
  VersionConflictError,
} from '../../../shared/domain/errors.js';

describe('error mapper', () => {
  it.each([
    [new ValidationError([{ path: 'name', message: 'must not be blank' }]), 400, 'validation_failed'],
    [new MalformedJsonError(), 400, 'malformed_json'],
    [new UnauthorizedError(), 401, 'unauthorized'],
    [new ForbiddenError('no'), 403, 'forbidden'],
    [new NotFoundError('deal', 'd1'), 404, 'not_found'],
    [new RouteNotFoundError('GET', '/x'), 404, 'not_found'],
    [new MethodNotAllowedError('PUT', '/deals', ['GET', 'POST']), 405, 'method_not_allowed'],
    [new IllegalTransitionError('deal', 'approved', 'submit'), 409, 'illegal_transition'],
    [new FieldLockedError('deal', 'approved', ['totalValue'], ['name', 'ownerId']), 409, 'illegal_transition'],
    [new IdempotencyAlreadyInProgressError('busy'), 409, 'idempotency_in_progress'],
    [new VersionConflictError(1, 3), 412, 'version_conflict'],
    [new PayloadTooLargeError(262144), 413, 'payload_too_large'],
    [new UnsupportedMediaTypeError('text/plain'), 415, 'unsupported_media_type'],
    [new IdempotencyValidationError('mismatch'), 422, 'idempotency_key_reused'],
    [new PreconditionRequiredError(), 428, 'precondition_required'],
    [new RangeError('boom'), 500, 'internal_error'],
  ])('maps %s to %i %s', (error, status, code) => {
    // Act
    const mapped = mapError(error);
    // Assess
    expect(mapped.statusCode).toBe(status);
    expect(mapped.body.error.code).toBe(code);
    expect(mapped.unexpected).toBe(status === 500);
  });

  it('adds the details design.md names: issues, currentVersion + ETag, currentStatus, Allow', () => {
    expect(mapError(new ValidationError([{ path: 'a.b', message: 'bad' }])).body.error.issues).toEqual([{ path: 'a.b', message: 'bad' }]);
    const conflict = mapError(new VersionConflictError(1, 3));
    expect(conflict.body.error.currentVersion).toBe(3);
    expect(conflict.headers.ETag).toBe('"3"');
    expect(mapError(new IllegalTransitionError('deal', 'approved', 'submit')).body.error).toMatchObject({
      currentStatus: 'approved',
      message: 'cannot submit a deal in status approved',
    });
    expect(mapError(new MethodNotAllowedError('PUT', '/deals', ['GET', 'POST'])).headers.Allow).toBe('GET, POST');
  });

  it('never puts the text of an unknown error in the body', () => {
    const mapped = mapError(new Error('password=hunter2'));
    expect(JSON.stringify(mapped.body)).not.toContain('hunter2');
  });
});

describe('identity', () => {
  it('parses cognito:groups as API Gateway renders it, as a JSON array string, and drops unknown groups', () => {
    expect(parseGroups('[deal_manager admin]')).toEqual(['deal_manager', 'admin']);
    expect(parseGroups('["finance","legal"]')).toEqual(['finance', 'legal']);
    expect(parseGroups('[deal_manager superuser]')).toEqual(['deal_manager']);
    expect(parseGroups('[]')).toEqual([]);
    expect(parseGroups(undefined)).toEqual([]);
  });

  it('parses custom:account_ids comma-separated', () => {
    expect(parseAccountIds('acct-demo,acct-other')).toEqual(['acct-demo', 'acct-other']);
    expect(parseAccountIds(' acct-demo , ,acct-demo')).toEqual(['acct-demo']);
    expect(parseAccountIds(undefined)).toEqual([]);
  });

  it('refuses claims without sub (401)', () => {
    expect(() => actorFromClaims(undefined)).toThrow(UnauthorizedError);
    expect(() => actorFromClaims({ 'cognito:groups': '[admin]' })).toThrow(UnauthorizedError);
  });
});

describe('config', () => {
  it('returns the variables asked for', () => {
    const config = loadConfig(['DEALS_TABLE_NAME', 'API_ROUTES'], {
      DEALS_TABLE_NAME: 'deals',
      API_ROUTES: '["GET /health","POST /deals"]',
    });
    expect(config).toEqual({ DEALS_TABLE_NAME: 'deals', API_ROUTES: ['GET /health', 'POST /deals'] });
  });

  it('fails naming every missing or malformed variable', () => {
    const attempt = () =>
      loadConfig(['DEALS_TABLE_NAME', 'HISTORY_TABLE_NAME', 'IDEMPOTENCY_TABLE_NAME', 'API_ROUTES'], {
        HISTORY_TABLE_NAME: 'history',
        IDEMPOTENCY_TABLE_NAME: '  ',
        API_ROUTES: 'GET /health',
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/DEALS_TABLE_NAME is not set/);
    expect(attempt).toThrow(/IDEMPOTENCY_TABLE_NAME/);
    expect(attempt).toThrow(/API_ROUTES/);
    expect(attempt).not.toThrow(/HISTORY_TABLE_NAME/);
  });
});
