<?php

use Illuminate\Support\Facades\Artisan;

Artisan::command('harbour', function () {
    $this->info(harbour_name());
})->purpose('Print the harbour name');
