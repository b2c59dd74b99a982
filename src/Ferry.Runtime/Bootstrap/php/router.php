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

$_SERVER['SCRIPT_FILENAME'] = $root . DIRECTORY_SEPARATOR . 'index.php';
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF'] = '/index.php';
chdir($root);
require $_SERVER['SCRIPT_FILENAME'];
