import { Injectable, NotFoundException } from '@nestjs/common';

export interface Boat {
  id: number;
  name: string;
}

@Injectable()
export class BoatsService {
  private readonly boats: Boat[] = [
    { id: 1, name: 'Ark' },
    { id: 2, name: 'Kon-Tiki' },
  ];

  all(): Boat[] {
    return this.boats;
  }

  one(id: number): Boat {
    const boat = this.boats.find((b) => b.id === id);
    if (!boat) {
      throw new NotFoundException(`boat ${id} not found`);
    }
    return boat;
  }

  add(name: string): Boat {
    const boat = { id: this.boats.length + 1, name };
    this.boats.push(boat);
    return boat;
  }
}
