import { describe, expect, it } from 'vitest';
import { AwsError } from '../errors.ts';
import { bool, constraintError, decodeToken, encodeToken, int, list, normalize, num, str, structure, timestamp } from './normalize-input.ts';

const SHAPE = structure({
  Name: str,
  Period: int,
  Threshold: num,
  Enabled: bool,
  At: timestamp,
  Dimensions: list(structure({ Name: str, Value: str })),
  Values: list(num),
});

describe('input normalization', () => {
  it('gives JSON and Query forms the same result', () => {
    const json = normalize(SHAPE, { Name: 'a', Period: 60, Threshold: 20.5, Enabled: false, At: 1767225600, Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }], Values: [1, 2] });
    const query = normalize(SHAPE, { Name: 'a', Period: '60', Threshold: '20.5', Enabled: 'false', At: '2026-01-01T00:00:00Z', Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }], Values: ['1', '2'] });
    expect(query).toEqual(json);
    expect(json).toEqual({ Name: 'a', Period: 60, Threshold: 20.5, Enabled: false, At: Date.UTC(2026, 0, 1), Dimensions: [{ Name: 'QueueName', Value: 'ocr-gpu' }], Values: [1, 2] });
  });

  it('reads an empty Query list, NaN text, and drops unknown members', () => {
    expect(normalize(SHAPE, { Dimensions: '', Values: ['NaN', 'Infinity'], Other: 1 })).toEqual({ Dimensions: [], Values: [NaN, Infinity] });
  });

  it('rejects a value of the wrong type with InvalidParameterValue', () => {
    const err = (() => {
      try {
        normalize(SHAPE, { Period: '6.5' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(AwsError);
    expect(err).toMatchObject({ code: 'InvalidParameterValue', message: 'The value 6.5 for parameter Period is invalid.' });
    expect(() => normalize(SHAPE, { Enabled: 'yes' })).toThrow('The value yes for parameter Enabled is invalid.');
    expect(() => normalize(SHAPE, { Dimensions: [{ Name: 5 }] })).toThrow('parameter Dimensions.member.1.Name');
  });

  it("words constraint errors as CloudWatch does, paths camel-cased with 'N.member'", () => {
    expect(constraintError(101, 'MaxRecords', 'Member must have value less than or equal to 100').message).toBe(
      "1 validation error detected: Value '101' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    expect(constraintError(undefined, 'MetricData.member.1.MetricName', 'Member must not be null').message).toContain("Value null at 'metricData.1.member.metricName'");
  });

  it('round-trips pagination tokens and rejects foreign ones', () => {
    expect(decodeToken(encodeToken({ after: 'x' }))).toEqual({ after: 'x' });
    expect(() => decodeToken('not-a-token')).toThrow(expect.objectContaining({ code: 'InvalidNextToken' }) as Error);
  });
});
