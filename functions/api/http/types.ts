import type {
  APIGatewayEventRequestContextJWTAuthorizer,
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2WithRequestContext,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';

/**
 * An API Gateway HTTP API (payload format 2.0) event. Routes behind the JWT authorizer carry
 * `requestContext.authorizer.jwt.claims`; public routes (health, openapi, fallback) do not.
 */
export type ApiEvent = APIGatewayProxyEventV2WithRequestContext<
  APIGatewayEventRequestContextV2 & { authorizer?: Partial<APIGatewayEventRequestContextJWTAuthorizer> }
>;

export type ApiResponse = APIGatewayProxyStructuredResultV2;
