import { Module } from '@nestjs/common';
import { AppController } from './app.controller.js';
import { BoatsController } from './boats.controller.js';
import { BoatsService } from './boats.service.js';

@Module({
  controllers: [AppController, BoatsController],
  providers: [BoatsService],
})
export class AppModule {}
