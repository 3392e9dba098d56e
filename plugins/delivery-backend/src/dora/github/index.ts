export * from './GitHubDoraEvents';
export * from './module';
export * from './entities';
