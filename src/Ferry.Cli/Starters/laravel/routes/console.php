<?php

use Illuminate\Support\Facades\Artisan;

Artisan::command('hello {name=world}', function (string $name) {
    $this->info("Hello, {$name}!");
})->purpose('Print a greeting');
