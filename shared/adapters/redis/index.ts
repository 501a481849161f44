export { createBudgetRedis, connectBudgetRedis, type BudgetRedisOptions } from './client.js';
export { budgetKeys, type BudgetKeys } from './keys.js';
export { RedisBudgetAllocator, budgetScriptSource, type RedisBudgetAllocatorOptions } from './redis-allocator.js';
