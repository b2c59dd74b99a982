<?php
// Router for PHP's built-in server in Ferry's php and laravel presets:
//   php -S 127.0.0.1:$PORT -t public /opt/ferry/php/router.php
// Existing files under the document root are served as they are; every other request goes to its index.php
// (the front controller of Laravel, Slim, Symfony…).
$root = realpath($_SERVER['DOCUMENT_ROOT']);
$path = urldecode(parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/');
if ($path !== '/') {
    $file = realpath($root . $path);
    if ($file !== false && str_starts_with($file, $root . DIRECTORY_SEPARATOR) && is_file($file)
        && pathinfo($file, PATHINFO_EXTENSION) !== 'php') {
        return false;
    }
}

// With FERRY_PHP_FORWARDED=1 (the laravel preset) the app sees the request as the client made it, as if installed
// in that folder of that host: the gateway's X-Forwarded-Prefix (/service/stage, which it strips from the path)
// goes back in front of REQUEST_URI and SCRIPT_NAME, so Symfony's Request finds it as the base URL and Laravel's
// url()/route() include it; the Host and scheme come from the last X-Forwarded-Host/-Proto, the values the gateway
// appends (a client's own come first). The gateway replaces any X-Forwarded-Prefix a client sends.
$prefix = '';
if (getenv('FERRY_PHP_FORWARDED') === '1') {
    $last = static function (string $name): string {
        $values = explode(',', $_SERVER[$name] ?? '');
        return trim(end($values));
    };
    $forwardedPrefix = rtrim(trim($_SERVER['HTTP_X_FORWARDED_PREFIX'] ?? ''), '/');
    if (preg_match('#^(/[A-Za-z0-9._~!$&\'()*+,;=:@%-]+)+$#', $forwardedPrefix)) {
        $prefix = $forwardedPrefix;
        $_SERVER['REQUEST_URI'] = $prefix . ($_SERVER['REQUEST_URI'] ?? '/');
    }
    $host = $last('HTTP_X_FORWARDED_HOST');
    if ($host !== '' && preg_match('/^[A-Za-z0-9.\-\[\]:]+$/', $host)) {
        $_SERVER['HTTP_HOST'] = $host;
        $_SERVER['SERVER_NAME'] = preg_replace('/:\d+$/', '', $host);
    }
    $proto = strtolower($last('HTTP_X_FORWARDED_PROTO'));
    if ($proto === 'https') {
        $_SERVER['HTTPS'] = 'on';
        $_SERVER['REQUEST_SCHEME'] = 'https';
    } elseif ($proto === 'http') {
        unset($_SERVER['HTTPS']);
        $_SERVER['REQUEST_SCHEME'] = 'http';
    }
}

$_SERVER['SCRIPT_FILENAME'] = $root . DIRECTORY_SEPARATOR . 'index.php';
$_SERVER['SCRIPT_NAME'] = $prefix . '/index.php';
$_SERVER['PHP_SELF'] = $prefix . '/index.php';
chdir($root);
require $_SERVER['SCRIPT_FILENAME'];
