import { Body, Controller, Get, Param, ParseIntPipe, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { type Boat, BoatsService } from './boats.service.js';

@Controller('boats')
export class BoatsController {
  // Injected by type: needs emitDecoratorMetadata, as in any Nest app.
  constructor(private readonly boats: BoatsService) {}

  @Get()
  list(): Boat[] {
    return this.boats.all();
  }

  @Get(':id')
  one(@Param('id', ParseIntPipe) id: number, @Query('q') q: string | undefined, @Req() request: Request) {
    return { ...this.boats.one(id), q: q ?? null, path: request.path, prefix: request.get('x-forwarded-prefix') ?? null };
  }

  @Post()
  add(@Body('name') name: string): Boat {
    return this.boats.add(name);
  }
}
