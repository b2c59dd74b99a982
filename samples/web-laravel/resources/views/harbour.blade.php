@extends('layouts.app')

@section('title', 'Harbour')

@section('content')
    <h1>{{ harbour_name() }}</h1>
    <p id="home">{{ route('harbour') }}</p>
    <ul>
        @foreach ($boats as $boat)
            <li><a href="{{ route('boats.show', ['name' => $boat]) }}">{{ ucfirst($boat) }}</a></li>
        @endforeach
    </ul>
    <p>Laravel {{ app()->version() }}</p>
@endsection
