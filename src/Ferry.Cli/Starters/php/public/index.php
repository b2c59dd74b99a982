<?php
// A front controller: every request of the app comes here.
declare(strict_types=1);

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
header('Content-Type: application/json');

if ($path === '/') {
    echo json_encode(['app' => '{{name}}', 'framework' => 'php']);
} elseif (preg_match('#^/hello/([A-Za-z0-9_-]+)$#', $path, $m)) {
    echo json_encode(['message' => "Hello, {$m[1]}!"]);
} else {
    http_response_code(404);
    echo json_encode(['error' => 'not found', 'path' => $path]);
}
