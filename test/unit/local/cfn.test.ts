import { describe, expect, it } from 'vitest';
import { collectExports, IntrinsicResolver, type CfnTemplate } from '../../../local/apigw/cfn.js';

const env = { region: 'eu-west-1', accountId: '000000000000', partition: 'aws' };

const data: CfnTemplate = {
  Resources: { DealsTable1: { Type: 'AWS::DynamoDB::Table', Properties: {} } },
  Outputs: {
    Exp: { Value: { Ref: 'DealsTable1' }, Export: { Name: 'Data:ExportsOutputRefDealsTable1' } },
    ExpArn: { Value: { 'Fn::GetAtt': ['DealsTable1', 'Arn'] }, Export: { Name: 'Data:Arn' } },
  },
};
const api: CfnTemplate = {
  Parameters: { Stage: { Type: 'String', Default: 'local' } },
  Conditions: { IsLocal: { 'Fn::Equals': [{ Ref: 'Stage' }, 'local'] } },
  Resources: {
    Pool: { Type: 'AWS::Cognito::UserPool' },
    Client: { Type: 'AWS::Cognito::UserPoolClient' },
    Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'my-fn' } },
  },
};

describe('intrinsic resolution', () => {
  const exports: Record<string, string> = {};
  const dataR = new IntrinsicResolver({ template: data, stackName: 'Data', env, physicalIds: { DealsTable1: 'local-deals' }, exports });
  const apiR = new IntrinsicResolver({ template: api, stackName: 'Api', env, physicalIds: { Client: 'local-client' }, exports });
  collectExports([{ template: data, resolver: dataR }], exports);

  it('resolves Ref to tables and clients to their local physical ids, across stacks', () => {
    expect(apiR.resolve({ 'Fn::ImportValue': 'Data:ExportsOutputRefDealsTable1' })).toBe('local-deals');
    expect(apiR.resolve({ 'Fn::ImportValue': 'Data:Arn' })).toBe('arn:aws:dynamodb:eu-west-1:000000000000:table/local-deals');
    expect(apiR.resolve({ Ref: 'Client' })).toBe('local-client');
  });

  it('resolves pseudo parameters, Join, Sub, Select, Split, If and parameters', () => {
    expect(apiR.resolve({ 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', { Ref: 'Pool' }]] })).toMatch(
      /^https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\/eu-west-1_local/,
    );
    expect(apiR.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Fn.Arn}' })).toBe(
      'arn:aws:x:eu-west-1:000000000000:arn:aws:lambda:eu-west-1:000000000000:function:my-fn',
    );
    expect(apiR.resolve({ 'Fn::Sub': ['${A}-${B}', { A: 'x', B: { Ref: 'Stage' } }] })).toBe('x-local');
    expect(apiR.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] })).toBe('b');
    expect(apiR.resolve({ 'Fn::If': ['IsLocal', 'yes', 'no'] })).toBe('yes');
    expect(apiR.resolve({ a: [{ Ref: 'AWS::NoValue' }, 1], b: { Ref: 'AWS::NoValue' } })).toEqual({ a: [1] });
  });

  it('fails clearly on unknown references', () => {
    expect(() => apiR.resolve({ Ref: 'Nope' })).toThrow(/Nope/);
    expect(() => apiR.resolve({ 'Fn::ImportValue': 'missing' })).toThrow(/missing/);
  });
});
