import { Controller, Get, Header, Headers } from '@nestjs/common';

@Controller()
export class AppController {
  @Get()
  @Header('Content-Type', 'text/plain; charset=utf-8')
  index(@Headers('x-forwarded-prefix') prefix?: string): string {
    return `Hello from Nest under ${prefix ?? '/'}`;
  }
}
