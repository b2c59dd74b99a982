<?php

use App\Http\Controllers\HelloController;
use Illuminate\Support\Facades\Route;

Route::get('/hello/{name}', [HelloController::class, 'show'])->name('hello');
