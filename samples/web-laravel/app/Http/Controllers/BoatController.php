<?php

namespace App\Http\Controllers;

use Illuminate\Http\Request;

class BoatController extends Controller
{
    /** The harbour page: a Blade view with links made by route() and url(). */
    public function index()
    {
        return view('harbour', [
            'boats' => ['ark', 'dinghy', 'junk'],
        ]);
    }

    /** One boat as JSON, with the URL Laravel generates for it. */
    public function show(Request $request, string $name)
    {
        return response()->json([
            'app' => 'laravel',
            'laravel' => app()->version(),
            'boat' => $name,
            'q' => $request->query('q'),
            'url' => route('boats.show', ['name' => $name]),
            'path' => $request->path(),
            'base' => $request->getBaseUrl(),
        ]);
    }
}
