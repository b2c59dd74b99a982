<?php

use App\Http\Controllers\BoatController;
use Illuminate\Support\Facades\Route;

Route::get('/boats/{name}', [BoatController::class, 'show'])->name('boats.show');

Route::get('/ping', function () {
    return ['pong' => true, 'harbour' => harbour_name()];
});
