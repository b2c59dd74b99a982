<?php

use App\Http\Controllers\BoatController;
use Illuminate\Support\Facades\Route;

Route::get('/', [BoatController::class, 'index'])->name('harbour');
