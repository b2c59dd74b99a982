<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <title>@yield('title') · {{ config('app.name') }}</title>
</head>
<body>
    @yield('content')
</body>
</html>
