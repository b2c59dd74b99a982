import { Controller, Get, Param } from '@nestjs/common';
import { AppService } from './app.service.js';

@Controller()
export class AppController {
  constructor(private readonly appService: AppService) {}

  @Get()
  index() {
    return { app: '{{name}}', framework: 'nest' };
  }

  @Get('hello/:name')
  hello(@Param('name') name: string) {
    return { message: this.appService.greet(name) };
  }
}
