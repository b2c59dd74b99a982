<?php

namespace App\Http\Controllers;

class HelloController extends Controller
{
    /** The home page: a Blade view whose links route() makes, under whatever prefix the app is served at. */
    public function index()
    {
        return view('welcome');
    }

    /** A greeting as JSON, with the URL Laravel generates for it. */
    public function show(string $name)
    {
        return response()->json([
            'app' => config('app.name'),
            'framework' => 'laravel',
            'message' => "Hello, {$name}!",
            'url' => route('hello', ['name' => $name]),
        ]);
    }
}
