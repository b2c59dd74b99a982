@extends('layouts.app')

@section('title', 'Welcome')

@section('content')
    <h1>Hello, Ferry!</h1>
    <p><a id="hello" href="{{ route('hello', ['name' => 'ferry']) }}">GET /api/hello/ferry</a></p>
    <p>Laravel {{ app()->version() }}</p>
@endsection
