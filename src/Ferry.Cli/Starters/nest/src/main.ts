import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

// Ferry sets PORT and HOST in the sandbox; locally: npm run build && npm start
async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  await app.listen(process.env.PORT ?? 3000, process.env.HOST ?? '127.0.0.1');
}

await bootstrap();
